/**
 * The CI role policy the generated README proposes (section "3. Create the
 * OIDC role for the pipeline"), parsed out of the README and checked as IAM
 * would read it, and the table it is generated from checked against the
 * resource types the rendered Terraform declares, for every example and for
 * fuzzed answers: a template that adds a resource type the table does not
 * know fails here.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  amiRetentionNeeds,
  dataSourceNeeds,
  declaredResourceTypes,
  packerNeeds,
  packerSessionManagerNeeds,
  partitionOf,
  resourceTypeNeeds,
} from "../src/core/context/ci-permissions.js";
import { cacheBucketName } from "../src/core/context/names.js";
import { loadTemplates } from "../src/core/templates.js";
import type { Answers, RenderedFile } from "../src/core/types.js";
import { formatError, validateAnswers } from "../src/core/validate.js";
import { answersArb, fuzzParams } from "./support/arbitraries.js";
import { exampleAnswers, exampleFiles, fileOf, renderAnswers, validAnswers } from "./support/tools.js";

interface Statement {
  Sid: string;
  Effect: string;
  Action: string[];
  Resource: string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

/** The types the rendered terraform/*.tf and its modules declare. */
function declaredTypes(files: RenderedFile[]): { resources: string[]; data: string[] } {
  const resources = new Set<string>();
  const data = new Set<string>();
  for (const f of files.filter((x) => /^terraform\/(modules\/[^/]+\/)?[^/]+\.tf$/.test(x.path))) {
    for (const m of f.contents.matchAll(/^\s*(resource|data)\s+"([^"]+)"/gm))
      (m[1] === "resource" ? resources : data).add(m[2]);
  }
  return { resources: [...resources].sort(), data: [...data].sort() };
}

/** The policy document README.md writes to ci-permissions.json, parsed. */
function readmePolicy(files: RenderedFile[]): { Version: string; Statement: Statement[] } {
  const readme = fileOf(files, "README.md").contents;
  const m = /^cat >ci-permissions\.json <<'EOF'\n([\s\S]*?)^EOF$/m.exec(readme);
  expect(m, "README.md writes ci-permissions.json from a quoted heredoc").not.toBeNull();
  return JSON.parse(m![1]);
}

const accountOf = (a: Answers) => a.ciRoleArn.split(":")[4];

/** Every property the README's policy must have, for any valid answers. */
function checkPolicy(a: Answers, files: RenderedFile[]): void {
  const declared = declaredTypes(files);
  // The table knows every declared type (else this would be a resource the CI role cannot manage) ...
  expect(
    declared.resources.filter((t) => !(t in resourceTypeNeeds)),
    "resource types missing from resourceTypeNeeds",
  ).toEqual([]);
  expect(
    declared.data.filter((t) => !(t in dataSourceNeeds)),
    "data source types missing from dataSourceNeeds",
  ).toEqual([]);
  // ... and the policy is built from exactly the declared ones.
  expect([...declaredResourceTypes(a)].sort()).toEqual(declared.resources);

  const policy = readmePolicy(files);
  const p = partitionOf(a.awsRegion)!;
  const account = accountOf(a);
  expect(policy.Version).toBe("2012-10-17");
  const sids = policy.Statement.map((s) => s.Sid);
  expect(new Set(sids).size).toBe(sids.length);
  const granted = new Set<string>();
  for (const s of policy.Statement) {
    expect(s.Effect).toBe("Allow");
    expect(Object.keys(s).sort()).toEqual(
      ["Action", "Effect", "Resource", "Sid", ...(s.Condition ? ["Condition"] : [])].sort(),
    );
    for (const act of s.Action) {
      expect(act, s.Sid).toMatch(/^[a-z0-9-]+:[A-Za-z]+$/); // no wildcard actions at all
      granted.add(act);
    }
    for (const r of s.Resource) {
      if (r === "*") {
        // Only the documented statement names every resource, and only in the answered region.
        expect(s.Sid).toBe("InTheRegion");
        expect(s.Condition).toEqual({ StringEquals: { "aws:RequestedRegion": a.awsRegion } });
        continue;
      }
      expect(r.startsWith(`arn:${p.partition}:`), `${s.Sid}: ${r}`).toBe(true);
      const [, , service, region, acct, rest] = r.split(":");
      if (service === "s3") {
        // S3 ARNs carry neither region nor account: the cache bucket's name does.
        const bucket = cacheBucketName(a, account);
        expect([`arn:${p.partition}:s3:::${bucket}`, `arn:${p.partition}:s3:::${bucket}/*`], s.Sid).toContain(r);
        continue;
      }
      if (!(service === "ssm" && rest.startsWith("document/"))) expect(acct, r).toBe(account);
      if (service === "iam") {
        expect(region).toBe("");
        expect(r.slice(r.indexOf(":", r.indexOf(account)) + 1)).toMatch(
          new RegExp(
            `^(role/${a.projectName}-\\*|instance-profile/${a.projectName}-\\*|role/aws-service-role/autoscaling\\.amazonaws\\.com/AWSServiceRoleForAutoScaling` +
              (a.sshInterface === "session_manager" ? "|role/packer-\\*|instance-profile/packer-\\*" : "") +
              ")$",
          ),
        );
      } else expect(region, r).toBe(a.awsRegion);
    }
    if (s.Action.includes("iam:PassRole")) {
      expect(s.Action).toEqual(["iam:PassRole"]);
      const ec2 = p.partition === "aws-cn" ? ["ec2.amazonaws.com", "ec2.amazonaws.com.cn"] : `ec2.${p.dnsSuffix}`;
      expect(s.Condition).toEqual({ StringEquals: { "iam:PassedToService": ec2 } });
    }
    if (s.Action.includes("iam:CreateServiceLinkedRole")) {
      expect(s.Action).toEqual(["iam:CreateServiceLinkedRole"]);
      expect(s.Condition).toEqual({ StringEquals: { "iam:AWSServiceName": "autoscaling.amazonaws.com" } });
    }
    if (
      a.permissionsBoundaryArn &&
      s.Resource.some((r) => r.includes(":role/")) &&
      s.Action.some((x) => x === "iam:CreateRole" || x === "iam:PutRolePolicy")
    ) {
      expect(s.Condition, s.Sid).toEqual({ StringEquals: { "iam:PermissionsBoundary": a.permissionsBoundaryArn } });
    }
    for (const x of [
      "iam:DeleteRolePermissionsBoundary",
      "iam:PutRolePermissionsBoundary",
      "iam:AttachRolePolicy",
      "iam:CreatePolicy",
      "iam:CreateUser",
    ])
      expect(s.Action).not.toContain(x);
  }
  // Everything the declared types, the data sources and the Packer build need is granted.
  const needed = [
    ...declared.resources.flatMap((t) => resourceTypeNeeds[t].needs),
    ...declared.data.flatMap((t) => dataSourceNeeds[t].needs),
    ...packerNeeds,
    ...amiRetentionNeeds,
    ...(a.sshInterface === "session_manager" ? packerSessionManagerNeeds : []),
  ].flatMap((n) => n.actions);
  expect(needed.filter((x) => !granted.has(x))).toEqual([]);
  expect(granted).toContain("iam:CreateServiceLinkedRole");
  expect(granted.has("iam:CreateRole")).toBe(true);
}

describe.each(exampleFiles)("the CI role policy in README.md of examples/%s", (example) => {
  it("is valid JSON made of the table's actions for the declared types, scoped to the project, region and partition", () => {
    const a = exampleAnswers(example);
    checkPolicy(a, renderAnswers(a));
  });
});

describe("the CI role policy for fuzzed answers", () => {
  it("holds every property for 60 fuzzed answers", () => {
    fc.assert(
      fc.property(answersArb, (raw) => {
        const r = validateAnswers(raw);
        if (!r.answers) throw new Error(`the arbitrary made invalid answers: ${r.errors.map(formatError).join("; ")}`);
        checkPolicy(r.answers, renderAnswers(r.answers));
      }),
      { ...fuzzParams(60), numRuns: 60 },
    );
  });
});

describe("the table check can fail", () => {
  it("a template declaring a resource type the table does not know is reported", () => {
    const a = exampleAnswers("answers.yaml");
    const files = renderAnswers(a).map((f) =>
      f.path === "terraform/network.tf"
        ? { ...f, contents: f.contents + '\nresource "aws_vpc_endpoint" "ssm" {\n  vpc_id = var.vpc_id\n}\n' }
        : f,
    );
    expect(() => checkPolicy(a, files)).toThrow(/resource types missing from resourceTypeNeeds/);
  });
});

/** The types a template text declares, in every branch (an EJS condition does not hide one). */
function typesInTemplates(templates: ReadonlyMap<string, string>): { resources: string[]; data: string[] } {
  const resources = new Set<string>();
  const data = new Set<string>();
  for (const [path, text] of templates) {
    if (!path.startsWith("terraform/")) continue;
    for (const m of text.matchAll(/^\s*(resource|data)\s+"([^"]+)"/gm))
      (m[1] === "resource" ? resources : data).add(m[2]);
  }
  return { resources: [...resources].sort(), data: [...data].sort() };
}

describe("every type the Terraform templates can declare, whatever the answers", () => {
  const unknown = (templates: ReadonlyMap<string, string>) => {
    const t = typesInTemplates(templates);
    return [...t.resources.filter((x) => !(x in resourceTypeNeeds)), ...t.data.filter((x) => !(x in dataSourceNeeds))];
  };
  it("is in the table of actions, and the table has no type no template declares", () => {
    expect(unknown(loadTemplates())).toEqual([]);
    const t = typesInTemplates(loadTemplates());
    expect(t.resources).toEqual(Object.keys(resourceTypeNeeds).sort());
    expect(t.data).toEqual(Object.keys(dataSourceNeeds).sort());
  });
  it("a type behind an answer no example gives is reported too", () => {
    const templates = new Map(loadTemplates());
    const asg = templates.get("terraform/modules/runner-pool/asg.tf.ejs")!;
    templates.set(
      "terraform/modules/runner-pool/asg.tf.ejs",
      `${asg}<% if (false) { %>\nresource "aws_sns_topic" "x" {}\n<% } %>\n`,
    );
    expect(unknown(templates)).toEqual(["aws_sns_topic"]);
  });
});

describe("partitions: GovCloud and China", () => {
  const base = exampleAnswers("answers.yaml");
  it.each([
    ["us-gov-west-1", "aws-us-gov", "amazonaws.com"],
    ["cn-north-1", "aws-cn", "amazonaws.com.cn"],
    ["cn-northwest-1", "aws-cn", "amazonaws.com.cn"],
  ])("%s: every ARN of the README is in %s, PassRole goes to ec2.%s", (region, partition, dns) => {
    const a = validAnswers({
      ...base,
      awsRegion: region,
      ciRoleArn: `arn:${partition}:iam::123456789012:role/acme-runners-ci`,
    });
    const files = renderAnswers(a);
    checkPolicy(a, files);
    const readme = fileOf(files, "README.md").contents;
    const arns = [...readme.matchAll(/arn:[a-z-]+:/g)].map((m) => m[0]);
    expect(arns.length).toBeGreaterThan(5);
    expect(new Set(arns)).toEqual(new Set([`arn:${partition}:`]));
    expect(readme).not.toContain("us-east-1");
    expect(
      [
        readmePolicy(files).Statement.find((s) => s.Action.includes("iam:PassRole"))!.Condition!.StringEquals[
          "iam:PassedToService"
        ],
      ].flat(),
    ).toContain(`ec2.${dns}`);
    const ci = fileOf(files, ".gitlab-ci.yml").contents;
    expect(ci).toMatch(new RegExp(`^  AWS_REGION: "?${region}"?$`, "m"));
    expect(ci).not.toMatch(/us-east-1|arn:aws:/);
  });

  it("the ISO partitions are refused with a clear message, and so is a role ARN of another partition", () => {
    expect(validateAnswers({ ...base, awsRegion: "us-iso-east-1" }).errors.map(formatError)).toEqual([
      expect.stringMatching(/^\/awsRegion: .*ISO partition.*aws-us-gov \(us-gov-\*\) or aws-cn \(cn-\*\)/),
    ]);
    expect(validateAnswers({ ...base, awsRegion: "cn-north-1" }).errors.map(formatError)).toEqual([
      expect.stringMatching(/^\/ciRoleArn: .*must be in the partition of awsRegion cn-north-1 \(arn:aws-cn:…\)/),
    ]);
  });
});

describe("permissions boundary", () => {
  const base = exampleAnswers("ubuntu-arm64-shell-legacy.yaml");
  const boundary = "arn:aws:iam::210987654321:policy/runner-boundary";

  it("with a boundary, roles are created and given policies only with it", () => {
    const a = validAnswers({ ...base, permissionsBoundaryArn: boundary });
    const files = renderAnswers(a);
    checkPolicy(a, files);
    const statements = readmePolicy(files).Statement;
    const creating = statements.filter(
      (s) => s.Action.includes("iam:CreateRole") || s.Action.includes("iam:PutRolePolicy"),
    );
    expect(creating.map((s) => s.Sid)).toEqual(["OwnRolesWithBoundary"]);
    expect(creating[0].Condition).toEqual({ StringEquals: { "iam:PermissionsBoundary": boundary } });
    expect(JSON.parse(fileOf(files, "terraform/terraform.tfvars.json").contents).permissions_boundary_arn).toBe(
      boundary,
    );
  });

  it("without one, CreateRole is not conditioned, and the README says what that means", () => {
    const files = renderAnswers(base);
    expect(readmePolicy(files).Statement.find((s) => s.Action.includes("iam:CreateRole"))!.Condition).toBeUndefined();
    expect(fileOf(files, "README.md").contents).toContain(
      "without a permissions boundary (answer `permissionsBoundaryArn`)",
    );
    // With Session Manager builds, Packer's temporary roles are named as the escape they are.
    expect(fileOf(renderAnswers(exampleAnswers("answers.yaml")), "README.md").contents).toMatch(
      /can create roles named `acme-runners-\*` or `packer-\*` with any inline policy and any trust policy/,
    );
  });

  it("is refused with Session Manager builds, whose temporary Packer role cannot carry it", () => {
    const errors = validateAnswers({
      ...exampleAnswers("answers.yaml"),
      permissionsBoundaryArn: "arn:aws:iam::123456789012:policy/b",
    }).errors.map(formatError);
    expect(errors).toEqual([expect.stringMatching(/^\/permissionsBoundaryArn: .*needs sshInterface private_ip/)]);
  });
});
