#!/usr/bin/env python3
"""Writes TC3-HMAC-SHA256 signed cloud-API requests for wrk (ACTION.body and ACTION.headers per request).

Usage: sign_requests.py OUT_DIR HOST:PORT SECRET_ID SECRET_KEY GROUP PROBE_IMAGE DETECT_IMAGE

The signature (content-type;host, body hash) follows the Node SDK: host without
port, service = the endpoint's first label. Signatures stay valid for the
server's 5-minute clock-skew window; identical reads may repeat (see
docs/api-reference.md, "Replays"), so wrk can send each request many times.
"""
import base64, hashlib, hmac, json, os, sys, time


def sign(secret_id, secret_key, host, service, body, ts):
    date = time.strftime("%Y-%m-%d", time.gmtime(ts))
    canonical = "\n".join(["POST", "/", "", "content-type:application/json\nhost:%s\n" % host,
                           "content-type;host", hashlib.sha256(body.encode()).hexdigest()])
    scope = "%s/%s/tc3_request" % (date, service)
    to_sign = "\n".join(["TC3-HMAC-SHA256", str(ts), scope, hashlib.sha256(canonical.encode()).hexdigest()])
    k = hmac.new(("TC3" + secret_key).encode(), date.encode(), hashlib.sha256).digest()
    k = hmac.new(k, service.encode(), hashlib.sha256).digest()
    k = hmac.new(k, b"tc3_request", hashlib.sha256).digest()
    sig = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
    return "TC3-HMAC-SHA256 Credential=%s/%s, SignedHeaders=content-type;host, Signature=%s" % (
        secret_id, scope, sig)


def main():
    out, endpoint, sid, skey, group, probe, detect = sys.argv[1:8]
    host = endpoint.split(":")[0]
    service = host.split(".")[0]
    ts = int(time.time())
    b64 = lambda p: base64.b64encode(open(p, "rb").read()).decode()
    requests = {
        "SearchFaces": {"GroupIds": [group], "Image": b64(probe), "MaxPersonNum": 5},
        "DetectFace": {"Image": b64(detect), "MaxFaceNum": 5, "NeedQualityDetection": 1},
    }
    os.makedirs(out, exist_ok=True)
    for action, params in requests.items():
        body = json.dumps(params)
        headers = {"Content-Type": "application/json", "Host": endpoint, "X-TC-Action": action,
                   "X-TC-Version": "2020-03-03", "X-TC-Timestamp": str(ts), "X-TC-Language": "en-US",
                   "Authorization": sign(sid, skey, host, service, body, ts)}
        with open(os.path.join(out, action + ".body"), "w") as f:
            f.write(body)
        with open(os.path.join(out, action + ".headers"), "w") as f:
            f.write("".join("%s: %s\n" % kv for kv in headers.items()))


main()
