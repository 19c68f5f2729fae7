// Signature V1 vectors made by the official Node SDK's own signer
// (AbstractClient.formatRequestData: common parameters, sorting, Sign.sign),
// for tests/server/v1_signature_test.cc. Prints a JSON array of
// {signMethod, reqMethod, endpoint, secretKey, stringToSign, params, wire}: params include
// Signature; wire is the query string or form body as the SDK sends it (HttpConnection.doRequest).
"use strict";
const querystring = require("querystring");
const { Client } = require("tencentcloud-sdk-nodejs/tencentcloud/services/iai/v20200303/iai_client");

const secretKey = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE";
const request = {
  GroupId: "staff",
  PersonId: "p 1+é/=&",  // characters that are percent-encoded on the wire
  PersonExDescriptionInfos: [{ PersonExDescriptionIndex: 0, PersonExDescription: "desk 7" }],
  Urls: ["http://example.com/a.jpg?x=1&y=2"],
  FaceMatchThreshold: 60.5,
};
async function main() {
  const out = [];
  for (const signMethod of ["HmacSHA1", "HmacSHA256"]) {
    for (const reqMethod of ["GET", "POST"]) {
      const endpoint = "iai.facekit.test:8443";
      const client = new Client({
        credential: { secretId: "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE", secretKey },
        region: "ap-guangzhou",
        profile: { signMethod, httpProfile: { endpoint, reqMethod }, language: "en-US" },
      });
      const params = await client.formatRequestData("CreatePerson", client.mergeData(request));
      out.push({ signMethod, reqMethod, endpoint, secretKey, stringToSign: client.formatSignString(
        Object.fromEntries(Object.entries(params).filter(([k]) => k !== "Signature"))),
        params: Object.fromEntries(Object.entries(params).map(([k, v]) => [k, String(v)])),
        wire: querystring.stringify(params) });
    }
  }
  console.log(JSON.stringify(out));
}
main();
