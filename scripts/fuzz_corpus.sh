#!/usr/bin/env bash
# Seeds the fuzz corpora (docs/fuzzing.md): build/fuzz/corpus/<target>/ from
# the repository's test data, the models (models/files) and ../shared/data.
# Nothing is copied into the repository; inputs libFuzzer adds later stay in
# the same folders. Idempotent: existing seeds are rewritten, found inputs kept.
#   scripts/fuzz_corpus.sh [BUILD_DIR]   (default build/fuzz; needs its snapshot_seeds)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${1:-$ROOT/build/fuzz}"
DATA="$ROOT/../shared/data"
C="$BUILD/corpus"
cd "$ROOT"

seed() {  # seed TARGET NAME < bytes
  mkdir -p "$C/$1"
  cat > "$C/$1/seed-$2"
}
copy() {  # copy TARGET FILE... (missing files are skipped)
  mkdir -p "$C/$1"
  local f
  for f in "${@:2}"; do
    [ -f "$f" ] && cp "$f" "$C/$1/seed-$(basename "$f")"
  done
  return 0
}

# base64: text of every kind the API receives.
printf 'aGVsbG8gd29ybGQ=' | seed base64 hello
printf 'YQ==\n' | seed base64 pad2
printf 'YWI=\r\n' | seed base64 pad1
printf '' | seed base64 empty
printf 'not base64!' | seed base64 bad
[ -f "$DATA/faces/photos/white.png" ] && head -c 600 "$DATA/faces/photos/white.png" | base64 | seed base64 png-wrapped
[ -f "$DATA/faces/photos/obama.jpg" ] && head -c 900 "$DATA/faces/photos/obama.jpg" | base64 -w0 | seed base64 jpeg

# image: small real photos (JPEG, PNG) and tiny hand-made BMP, GIF and TIFF headers.
copy image "$DATA/faces/photos/white.png" \
  "$(ls "$DATA"/faces/bbt/*/*.png 2>/dev/null | head -1)" \
  "$(ls "$DATA"/liveness/real/* 2>/dev/null | head -1)" \
  "$(ls "$DATA"/faces/lfw-original-250/*/*.jpg 2>/dev/null | head -1)"
# 2x2 24-bit BMP
printf 'BM\x46\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00\x28\x00\x00\x00\x02\x00\x00\x00\x02\x00\x00\x00\x01\x00\x18\x00\x00\x00\x00\x00\x10\x00\x00\x00\x13\x0b\x00\x00\x13\x0b\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\x00\x00\x00\xff\x00\x00\x00\x00\x00\xff\xff\xff\xff\x00\x00' | seed image bmp
printf 'GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;' | seed image gif
printf 'II*\x00\x08\x00\x00\x00\x03\x00\x00\x01\x03\x00\x01\x00\x00\x00\x40\x00\x00\x00\x01\x01\x03\x00\x01\x00\x00\x00\x40\x00\x00\x00\x03\x01\x03\x00\x01\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00' | seed image tiff
printf 'RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00\x2f\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00' | seed image webp

# signature: fields authorization, content-type, host, timestamp, content sha256, method, path, query, body.
AUTH='TC3-HMAC-SHA256 Credential=AKIDfuzz/2023-11-14/iai/tc3_request, SignedHeaders=content-type;host, Signature=2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c'
printf '%s\napplication/json; charset=utf-8\niai.tencentcloudapi.com:443\n1700000000\n\nPOST\n/\n\n{"Limit":1}' "$AUTH" | seed signature tc3-post
printf '%s\napplication/x-www-form-urlencoded\n[::1]:8080\n1700000000\nUNSIGNED-PAYLOAD\nGET\n/v1/groups\noffset=0&limit=10\n' "$AUTH" | seed signature tc3-get
printf '\n\niai.tencentcloudapi.com\n\nHmacSHA256\nGET\n/\nAction=GetGroupList&Version=2020-03-03&Nonce=7&Timestamp=1700000000&SecretId=AKIDfuzz&SignatureMethod=HmacSHA256&Signature=q%%2Bw%%3D\n' | seed signature v1-get
printf '\n\niai.tencentcloudapi.com\n\nHmacSHA1\nPOST\n/\nAction=DetectFace&Version=2018-03-01&Nonce=1&Timestamp=1700000100&SecretId=AKIDfuzz&Signature=abc%%3D&Image=aGVsbG8%%3D\n' | seed signature v1-post

# cloud_request: the five request forms.
TC3H="content-type: application/json; charset=utf-8
host: iai.tencentcloudapi.com
x-tc-action: DetectFace
x-tc-version: 2020-03-03
x-tc-timestamp: 1700000000
x-tc-language: en-US
authorization: $AUTH"
printf 'POST /\n%s\n\n{"Image":"aGVsbG8=","MaxFaceNum":2,"NeedFaceAttributes":1,"NeedQualityDetection":1,"Url":"http://example.com/a.jpg"}' "$TC3H" | seed cloud_request tc3-json
printf 'POST /\n%s\n\n{"GroupId":"g1","PersonName":"p","PersonId":"p1","Gender":1,"PersonExDescriptionInfos":[{"PersonExDescriptionIndex":0,"PersonExDescription":"x"}],"Urls":["http://a/b.jpg"]}' \
  "${TC3H/DetectFace/CreatePerson}" | seed cloud_request tc3-json-create
printf 'GET /?GroupIds.0=a%%20b&MaxFaceNum=2&Image=aGVsbG8%%3D&FaceMatchThreshold=60.5&NeedPersonInfo=1\n%s\n\n' \
  "${TC3H/application\/json; charset=utf-8/application\/x-www-form-urlencoded}" | sed 's/DetectFace/SearchFaces/' | seed cloud_request tc3-get
printf 'POST /\n%s\n\n--XB\r\nContent-Disposition: form-data; name="Limit"\r\n\r\n5\r\n--XB\r\nContent-Disposition: form-data; name="Image"\r\nContent-Type: application/octet-stream\r\n\r\n\x01\x02\r\n--XB--\r\n' \
  "${TC3H/application\/json; charset=utf-8/multipart\/form-data; boundary=XB}" | sed 's/DetectFace/GetGroupList/' | seed cloud_request tc3-multipart
printf 'GET /?Action=SearchPersons&Version=2020-03-03&Region=ap-guangzhou&Language=zh-CN&Nonce=1&Timestamp=1700000000&SecretId=AKIDfuzz&SignatureMethod=HmacSHA256&Signature=abc%%3D&GroupIds.0=g1&GroupIds.1=g2&Image=aGVsbG8%%3D\nhost: iai.tencentcloudapi.com\n\n' | seed cloud_request v1-get
printf 'POST /\nhost: iai.tencentcloudapi.com\ncontent-type: application/x-www-form-urlencoded\n\nAction=CreateGroup&Version=2018-03-01&Nonce=1&Timestamp=1700000000&SecretId=AKIDfuzz&Signature=abc%%3D&GroupId=g1&GroupName=G+1&GroupExDescriptions.0=a' | seed cloud_request v1-post

# rest: "METHOD TARGET\n" then the JSON body.
printf 'POST /v1/groups\n{"group_id":"g1","group_name":"G","tag":"t","ex_descriptions":["a"]}' | seed rest create-group
printf 'GET /v1/groups?offset=0&limit=10\n' | seed rest list-groups
printf 'GET /v1/groups/g1/persons:count\n' | seed rest count
printf 'PATCH /v1/groups/g1/persons/p1\n{"person_ex_description_infos":[]}' | seed rest patch
printf 'POST /v1/search\n{"groupIds":["g1"],"image":"aGVsbG8=","max_face_num":2,"face_match_threshold":60.5,"need_person_info":true}' | seed rest search
printf 'DELETE /v1/persons/p%%201/faces?face_ids=a&face_ids=b\n' | seed rest delete-faces
printf 'POST /v1/persons/p1:copy\n{"group_ids":["g2"]}' | seed rest copy

# graph: the example graphs and the graph tests' JSON.
copy graph examples/attendance/graph.json examples/controller/step_load.json
printf 'count=5\n{"default_queue":{"capacity":4,"policy":"block"},"nodes":[{"name":"src","type":"CounterSource","options":{"count":"${count:-3}"}},{"name":"limit","type":"FlowLimiter","options":{"max_in_flight":1},"inputs":{"in":"src.out","finished":"sink.done"}},{"name":"sink","type":"Collector","inputs":{"in":{"from":"limit.out","capacity":2,"policy":"drop_oldest","back_edge":false}}}]}' | seed graph counter

# tflite: the small MTCNN models (when the models are fetched).
copy tflite models/files/pnet.tflite models/files/rnet.tflite

# tfjs: kind byte (0 model.json, 1 weights manifest), JSON, NUL, the shard's bytes.
if [ -f models/files/emotion.json ] && [ -f models/files/emotion.bin ]; then
  { printf '\x00'; cat models/files/emotion.json; printf '\x00'; cat models/files/emotion.bin; } | seed tfjs emotion
fi
[ -f models/files/faceres.json ] && { printf '\x00'; cat models/files/faceres.json; } | seed tfjs faceres-json-only
[ -f models/files/face_recognition_model-weights_manifest.json ] &&
  { printf '\x01'; cat models/files/face_recognition_model-weights_manifest.json; } | seed tfjs resnet-manifest
printf '\x01[{"paths":["a.bin"],"weights":[{"name":"w","shape":[2],"dtype":"float32"},{"name":"q","shape":[2],"dtype":"float32","quantization":{"dtype":"uint8","min":-1,"scale":0.5}}]}]\x00\x00\x00\x80\x3f\x00\x00\x00\x40\x01\x02' | seed tfjs small-manifest

# snapshot: small flat, HNSW and IVF snapshots, format versions 1 and 2.
mkdir -p "$C/snapshot"
"$BUILD/tests/fuzz/snapshot_seeds" "$C/snapshot"

for d in "$C"/*/; do printf '%s: %s seeds\n' "$(basename "$d")" "$(ls "$d" | wc -l)"; done
