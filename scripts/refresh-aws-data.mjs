// Refresh schema/aws-data.json (the regions and instance types answers are checked against).
// Offline by design: it reads files you fetch with the AWS CLI or from the SDKs, so the
// package's build never needs the network or credentials.
//
//   node scripts/refresh-aws-data.mjs --partitions partitions.json --instance-types types.json [--date YYYY-MM-DD]
//
// partitions.json: the AWS SDKs' partitions file (aws-sdk-js-v3: packages/util-endpoints/src/lib/aws/partitions.json,
//   or botocore/data/partitions.json): {"partitions": [{"id": "aws", "regions": {"eu-central-1": {...}, ...}}, ...]}.
//   Region codes that are not regions (aws-global, aws-cn-global, ...) are left out.
// types.json: `aws ec2 describe-instance-types --output json` (run it in a few regions and pass each file; the
//   union is taken): {"InstanceTypes": [{"InstanceType": "m7g.large", "BurstablePerformanceSupported": false,
//   "ProcessorInfo": {"SupportedArchitectures": ["arm64"]}}, ...]}.
// Sizes are kept per size class (burstable, standard), as schema/aws-data.json holds them.
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    partitions: { type: "string" },
    "instance-types": { type: "string", multiple: true },
    date: { type: "string" },
  },
});
const file = join(dirname(fileURLToPath(import.meta.url)), "../schema/aws-data.json");
const data = JSON.parse(readFileSync(file, "utf8"));
const date = values.date ?? new Date().toISOString().slice(0, 10);

if (values.partitions) {
  const { partitions } = JSON.parse(readFileSync(values.partitions, "utf8"));
  data.regions.partitions = Object.fromEntries(
    partitions.map((p) => [
      p.id,
      Object.keys(p.regions ?? {})
        .filter((r) => /-[0-9]$/.test(r))
        .sort(),
    ]),
  );
  data.regions.date = date;
}
if (values["instance-types"]?.length) {
  const families = {};
  const sizeClasses = { burstable: new Set(), standard: new Set() };
  for (const f of values["instance-types"]) {
    for (const t of JSON.parse(readFileSync(f, "utf8")).InstanceTypes) {
      const [family, size] = t.InstanceType.split(".");
      const archs = t.ProcessorInfo?.SupportedArchitectures ?? [];
      const arch = archs.includes("arm64") ? "arm64" : archs.includes("x86_64") ? "x86_64" : undefined;
      if (!arch) continue; // mac families and the like
      const sizes = t.BurstablePerformanceSupported ? "burstable" : "standard";
      families[family] = { arch, sizes };
      sizeClasses[sizes].add(size);
    }
  }
  data.instanceTypes.families = Object.fromEntries(Object.entries(families).sort(([a], [b]) => (a < b ? -1 : 1)));
  data.instanceTypes.sizeClasses = Object.fromEntries(Object.entries(sizeClasses).map(([k, v]) => [k, [...v]]));
  data.instanceTypes.date = date;
}
writeFileSync(file, JSON.stringify(data, null, 2) + "\n");
console.log(
  `schema/aws-data.json: ${Object.values(data.regions.partitions).flat().length} regions (${data.regions.date}), ${Object.keys(data.instanceTypes.families).length} instance families (${data.instanceTypes.date})`,
);
