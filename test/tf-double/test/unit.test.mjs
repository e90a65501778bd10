// The parts of the double that need no Terraform.
import { test } from "vitest";
import assert from "node:assert/strict";
import { encode } from "@msgpack/msgpack";
import { fromMsgpack, toMsgpack, UNKNOWN, isUnknown, impliedType } from "../lib/cty.mjs";
import { renderPolicyDocument, legacyPolicyNormalize, normalizeJSON } from "../lib/aws.mjs";
import { loadSchema } from "../lib/schema.mjs";
import { validateResource } from "../lib/validate.mjs";

test("msgpack round trip with unknowns, nulls, sets and objects", () => {
  const t = ["object", { a: "string", n: "number", l: ["set", "string"], o: ["object", { b: "bool" }], m: ["map", "number"] }];
  const v = { a: "x", n: 1.5, l: ["p", "q"], o: { b: true }, m: { k: 3 } };
  assert.deepEqual(fromMsgpack(toMsgpack(v, t), t), v);
  const w = fromMsgpack(toMsgpack({ a: UNKNOWN, n: null, l: null, o: null, m: null }, t), t);
  assert.ok(isUnknown(w.a));
  assert.equal(w.n, null);
  // an unknown is cty's fixext1 of extension type 0
  assert.deepEqual([...toMsgpack(UNKNOWN, "string")], [0xd4, 0, 0]);
});

test("refined unknowns (extension type 12) decode as unknown", () => {
  const bytes = Buffer.from([0xd5, 12, 0x81, 0x01]); // fixext2, type 12, a 1-entry map header... data irrelevant
  assert.ok(isUnknown(fromMsgpack(bytes, "string")));
});

test("number encodings: int, float, big-number string", () => {
  assert.equal(fromMsgpack(Buffer.from(encode("12345678901234567890")), "number"), 12345678901234567890);
  assert.equal(fromMsgpack(Buffer.from(encode(300)), "number"), 300);
});

test("aws_iam_policy_document renders like the provider (reverse-sorted sets, single values as strings, Go escaping)", () => {
  const r = renderPolicyDocument({
    version: null,
    policy_id: null,
    statement: [
      { sid: "A", effect: null, actions: ["s3:GetObject", "s3:PutObject"], resources: ["arn:aws:s3:::b/*"], not_actions: null, not_resources: null, principals: null, not_principals: null, condition: [{ test: "StringEquals", variable: "aws:x", values: ["<v>"] }] },
      { sid: null, effect: "Deny", actions: ["*"], resources: ["*"], principals: [{ type: "AWS", identifiers: ["*"] }] },
    ],
  });
  assert.equal(
    r.minified_json,
    '{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":["s3:PutObject","s3:GetObject"],"Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"aws:x":"\\u003cv\\u003e"}}},{"Effect":"Deny","Action":"*","Resource":"*","Principal":{"AWS":"*"}}]}',
  );
  assert.ok(r.json.startsWith('{\n  "Version": "2012-10-17",\n  "Statement": [\n    {\n'));
});

test("SDKv2 StateFunc normalisations", () => {
  assert.equal(normalizeJSON('{"b": 1, "a": [2, {"d": 1, "c": 0}]}'), '{"a":[2,{"c":0,"d":1}],"b":1}');
  assert.equal(legacyPolicyNormalize('{"Statement":[],"Version":"2012-10-17"}'), '{"Version":"2012-10-17","Statement":[]}');
});

test("schema: overrides applied, faithful block structure for aws_autoscaling_group", () => {
  const s = loadSchema();
  const asg = s.resources.aws_autoscaling_group.block;
  assert.equal(asg.block_types.instance_refresh.max_items, 1);
  assert.equal(asg.block_types.tag.nesting_mode, "set");
  assert.equal(asg.block_types.mixed_instances_policy.block.block_types.launch_template.min_items, 1);
  assert.equal(asg.attributes.min_size.required, true);
  assert.equal(asg.attributes.name.computed, true); // optional+computed (Go source)
  assert.equal(asg.attributes.context.computed, undefined); // plain optional (Go source)
  assert.deepEqual(s.resources.aws_security_group.block.attributes.egress.type[0], "set"); // ConfigModeAttr
  assert.ok(impliedType(asg));
});

test("provider-side validators", () => {
  const s = loadSchema();
  const hook = s.resources.aws_autoscaling_lifecycle_hook;
  const cfg = Object.fromEntries(Object.keys(hook.block.attributes).map((k) => [k, null]));
  const d = validateResource("aws_autoscaling_lifecycle_hook", hook, { ...cfg, autoscaling_group_name: "g", name: "h", lifecycle_transition: "bogus", heartbeat_timeout: 10 });
  assert.deepEqual(d.map((x) => x.summary).sort(), [
    'expected heartbeat_timeout to be in the range (30 - 7200), got 10',
    'expected lifecycle_transition to be one of ["autoscaling:EC2_INSTANCE_LAUNCHING" "autoscaling:EC2_INSTANCE_TERMINATING"], got bogus',
  ]);
});
