// The request interfaces of both iai model files of the official Node SDK, as
// JSON: {"2018-03-01": {"CreateGroup": {"GroupName": "string", ...}, ...}, "2020-03-03": ...}.
// For tests/server/cloud_schema_test.cc, which checks FaceKit's parameter table against them.
"use strict";
const fs = require("fs");
const path = require("path");

const root = path.dirname(require.resolve("tencentcloud-sdk-nodejs/package.json"));

// The interfaces of a model file, comments removed: name -> {field: type}.
function parseModels(file) {
  const text = fs.readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\//g, "");
  const interfaces = {};
  for (const m of text.matchAll(/export interface (\w+) \{([^}]*)\}/g)) {
    const fields = {};
    for (const f of m[2].matchAll(/^\s*(\w+)\??: ([^;\n]+);/gm)) fields[f[1]] = f[2];
    interfaces[m[1]] = fields;
  }
  return interfaces;
}

// The model file of an SDK version directory ("v20200303").
const modelsOf = (dir) => parseModels(`${root}/tencentcloud/services/iai/${dir}/iai_models.d.ts`);

function main() {
  const out = {};
  for (const [version, dir] of [["2018-03-01", "v20180301"], ["2020-03-03", "v20200303"]]) {
    const interfaces = modelsOf(dir);
    const requests = {};
    for (const [name, fields] of Object.entries(interfaces)) {
      if (!name.endsWith("Request")) continue;
      const expanded = {};
      for (const [field, type] of Object.entries(fields)) {
        const item = /^Array<(\w+)>$/.exec(type);
        expanded[field] = item && interfaces[item[1]] ? { [type]: interfaces[item[1]] } : type;
      }
      requests[name.slice(0, -"Request".length)] = expanded;
    }
    out[version] = requests;
  }
  console.log(JSON.stringify(out));
}

module.exports = { modelsOf };
if (require.main === module) main();
