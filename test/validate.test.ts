import { describe, expect, it } from "vitest";
import { cronProblem } from "../src/core/cron.js";
import { answerKeys, answersSchema, defaultOf, poolFieldKeys } from "../src/core/schema.js";
import { formatError, validateAnswers } from "../src/core/validate.js";
import { exampleAnswers, minimalRaw, onePoolRaw } from "./support/tools.js";

function validAnswers(raw: Record<string, unknown>) {
  const r = validateAnswers(raw);
  if (!r.answers) throw new Error(r.errors.map(formatError).join("; "));
  return r.answers;
}

function errorsOf(raw: unknown) {
  return validateAnswers(raw).errors;
}

describe("validateAnswers", () => {
  it("accepts the minimal answers and fills every default", () => {
    const r = validateAnswers(minimalRaw);
    expect(r.errors).toEqual([]);
    for (const key of answerKeys.filter((k) => k !== "pools")) {
      const d = defaultOf(key);
      if (d !== undefined) expect((r.answers as unknown as Record<string, unknown>)[key]).toEqual(d);
    }
    expect(r.answers!.pools).toHaveLength(1);
    for (const key of poolFieldKeys)
      expect((r.answers!.pools[0] as unknown as Record<string, unknown>)[key]).toEqual(defaultOf(key) ?? "default");
  });

  it("lists every required answer that has no value and no default", () => {
    const errs = errorsOf({});
    expect(errs.map((e) => e.path).sort()).toEqual(answersSchema.required.map((k) => "/" + k).sort());
    for (const e of errs) expect(e.message).toMatch(/required and has no default/);
  });

  it("reports all errors at once, with path, value and what is allowed", () => {
    const errs = errorsOf(
      onePoolRaw({ asgMinSize: 5, asgMaxSize: 2, concurrent: "four" }, { projectName: "Bad_Name", vpcId: "vpc-1" }),
    );
    const paths = errs.map((e) => e.path);
    expect(paths).toEqual([
      "/projectName",
      "/vpcId",
      "/pools/0/asgDesiredCapacity",
      "/pools/0/concurrent",
      "/pools/0/schedules/1",
    ]);
    const name = errs.find((e) => e.path === "/projectName")!;
    expect(formatError(name)).toBe(
      '/projectName: "Bad_Name" must be 3 to 32 lowercase letters, digits and hyphens, starting with a letter',
    );
    expect(errs.find((e) => e.path === "/pools/0/concurrent")!.message).toBe("must be integer, not string");
  });

  it("enforces min ≤ desired ≤ max for the ASG and for every schedule", () => {
    expect(errorsOf(onePoolRaw({ asgMinSize: 2, asgDesiredCapacity: 1, asgMaxSize: 3 }))[0].path).toBe(
      "/pools/0/asgDesiredCapacity",
    );
    expect(errorsOf(onePoolRaw({ asgMinSize: 1, asgDesiredCapacity: 2, asgMaxSize: 3 }))).toEqual([]);
    const errs = errorsOf(onePoolRaw({ schedules: [{ name: "x", recurrence: "0 8 * * *", minSize: 3, maxSize: 1 }] }));
    expect(errs.map((e) => e.path)).toEqual(["/pools/0/schedules/0"]);
  });

  it("refuses Spot with the legacy launch configuration, naming both answers", () => {
    const errs = errorsOf(onePoolRaw({ onDemandPercentageAboveBase: 50 }, { useLaunchConfiguration: true }));
    expect(errs.map(formatError)).toEqual([
      "/pools/0/onDemandPercentageAboveBase: 50 must be 100 (no Spot) with useLaunchConfiguration: a launch configuration has no mixed-instances policy, so Spot needs the launch template (useLaunchConfiguration: false)",
    ]);
    expect(
      errorsOf(
        onePoolRaw({ onDemandPercentageAboveBase: 100, onDemandBaseCapacity: 2 }, { useLaunchConfiguration: true }),
      ),
    ).toEqual([]);
    expect(errorsOf(onePoolRaw({ onDemandPercentageAboveBase: 0 }))).toEqual([]);
  });

  it("refuses a project name that S3 would refuse in the cache bucket's name, unless the cache is off", () => {
    const long = "a".repeat(30) + "zz";
    expect(errorsOf({ ...minimalRaw, projectName: long, awsRegion: "ap-southeast-5" })).toEqual([]); // 60 characters
    const tooLong = errorsOf({
      ...minimalRaw,
      projectName: long,
      awsRegion: "ap-southeastwest-1",
      acceptUnlisted: ["ap-southeastwest-1"],
    });
    expect(tooLong.map((e) => e.path)).toEqual(["/projectName"]);
    expect(tooLong[0].message).toMatch(
      /cache bucket name <projectName>-<account id>-<awsRegion> 64 characters long, above S3's 63; choose another projectName, or set cacheS3 false$/,
    );
    expect(errorsOf({ ...minimalRaw, projectName: "xn--runners" })[0].message).toMatch(
      /^starts with "xn--", which S3 refuses/,
    );
    expect(errorsOf({ ...minimalRaw, projectName: "xn--runners", cacheS3: false })).toEqual([]);
  });

  it("suggests the closest answer for an unknown key", () => {
    const errs = errorsOf({ ...onePoolRaw({ instanceTyps: ["t3.large"] }), tmeZone: "UTC", zzz: 1 });
    expect(errs.find((e) => e.path === "/tmeZone")!.message).toContain('Did you mean "timeZone"?');
    expect(errs.find((e) => e.path === "/pools/0/instanceTyps")!.message).toContain('Did you mean "instanceTypes"?');
    expect(errs.find((e) => e.path === "/zzz")!.message).not.toContain("Did you mean");
  });

  it("rejects token-shaped strings anywhere and points to SSM", () => {
    for (const token of ["glrt-AbCdEfGhIjKlMnOpQrSt", "GR1348941aBcDeFgHiJkLmNoP"]) {
      const errs = errorsOf(onePoolRaw({ runnerDescription: `runner ${token}` }, { tags: { Secret: token } }));
      expect(errs.map((e) => e.path)).toEqual(["/pools/0/runnerDescription", "/tags/Secret"]);
      for (const e of errs) {
        expect(e.message).toContain("store the token in SSM and give its parameter name");
        expect(formatError(e)).not.toContain(token);
      }
    }
  });

  it("never repeats a token whole, whichever rule quotes the value", () => {
    const token = "glrt-AbCdEfGhIjKlMnOpQrSt";
    const errs = errorsOf({
      ...onePoolRaw({
        tokenSsmParameter: token,
        schedules: [{ name: token, recurrence: "0 8 * * *", minSize: 3, maxSize: 1 }],
      }),
      [token]: 1,
    });
    expect(errs.map((e) => e.path)).toEqual(
      expect.arrayContaining(["/pools/0/tokenSsmParameter", "/pools/0/schedules/0/name", "/glrt-AbC…"]),
    );
    expect(errs.filter((e) => formatError(e).includes("must be an SSM parameter path")).length).toBe(1);
    expect(errs.length).toBeGreaterThanOrEqual(5);
    for (const e of errs) expect(formatError(e)).not.toContain(token);
  });

  it("keeps tags to what IAM accepts, since they reach the instance role", () => {
    expect(
      errorsOf({ ...minimalRaw, tags: { Owner: "Ops Zürich", "Cost Center": "4711 / A+B", "ns:key=v": "@x_y.z-1" } }),
    ).toEqual([]);
    const errs = errorsOf({ ...minimalRaw, tags: { Owner: "Ops — Zürich", Cmd: "$(id)", "Bad!": "x" } });
    expect(errs.map((e) => e.path)).toEqual(["/tags/Bad!", "/tags/Cmd", "/tags/Owner"]);
    for (const e of errs) expect(e.message).toMatch(/IAM/);
  });

  it("with load-driven scaling, never lets the group or a running schedule sit at a minimum of 0", () => {
    const off = { name: "off", recurrence: "30 19 * * MON-FRI", minSize: 0, maxSize: 0, desiredCapacity: 0 };
    const idleDay = { name: "day", recurrence: "30 6 * * MON-FRI", minSize: 0, maxSize: 4, desiredCapacity: 1 };
    expect(errorsOf(onePoolRaw({ scalingPolicy: "jobs", asgMinSize: 1, schedules: [off] }))).toEqual([]);
    expect(
      errorsOf(onePoolRaw({ scalingPolicy: "cpu", asgMinSize: 0, schedules: [off, idleDay] })).map((e) => e.path),
    ).toEqual(["/pools/0/asgMinSize", "/pools/0/schedules/1/minSize"]);
    expect(errorsOf(onePoolRaw({ scalingPolicy: "none", asgMinSize: 0, schedules: [off, idleDay] }))).toEqual([]);
    expect(errorsOf(onePoolRaw({ scalingPolicy: "jobs", asgMinSize: 0 }))[0].message).toMatch(
      /no metric scales it out again/,
    );
  });

  it("takes every form of KMS key: id, multi-Region id, ARNs, aliases", () => {
    for (const k of [
      "alias/aws/ssm",
      "1234abcd-12ab-34cd-56ef-1234567890ab",
      "mrk-1234abcd12ab34cd56ef1234567890ab",
      "arn:aws:kms:us-west-2:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab",
      "arn:aws:kms:us-west-2:111122223333:alias/runners",
    ]) {
      expect(errorsOf({ ...minimalRaw, tokenKmsKeyId: k }), k).toEqual([]);
    }
    expect(errorsOf({ ...minimalRaw, tokenKmsKeyId: "mrk-123" }).map((e) => e.path)).toEqual(["/tokenKmsKeyId"]);
  });

  it("checks id shapes", () => {
    const errs = errorsOf({
      ...minimalRaw,
      vpcId: "subnet-0a1b2c3d",
      subnetIds: ["vpc-0a1b2c3d", "subnet-0A1B2C3D"],
      buildSubnetId: "subnet-123",
    });
    expect(errs.map((e) => e.path)).toEqual(["/vpcId", "/subnetIds/0", "/subnetIds/1", "/buildSubnetId"]);
  });

  it("checks time zones against the IANA database", () => {
    expect(errorsOf({ ...minimalRaw, timeZone: "Europe/Berlin" })).toEqual([]);
    expect(errorsOf({ ...minimalRaw, timeZone: "America/Argentina/Buenos_Aires" })).toEqual([]);
    for (const tz of ["Mars/Olympus", "EST5EDT/Nowhere", "Europe/Berlim"])
      expect(errorsOf({ ...minimalRaw, timeZone: tz }).map((e) => e.path)).toEqual(["/timeZone"]);
  });

  it("matches instance types to the architecture", () => {
    expect(
      errorsOf(onePoolRaw({ architecture: "arm64", instanceTypes: ["t4g.large", "m7g.xlarge", "c6gn.large"] })),
    ).toEqual([]);
    expect(errorsOf(onePoolRaw({ architecture: "arm64", instanceTypes: ["t3.large"] })).map((e) => e.path)).toEqual([
      "/pools/0/instanceTypes/0",
    ]);
    expect(errorsOf(onePoolRaw({ instanceTypes: ["m7g.large"] })).map((e) => e.path)).toEqual([
      "/pools/0/instanceTypes/0",
    ]);
  });

  it("takes the runner's tags and flags in both registration modes (authentication-token: for the API call that creates the runner)", () => {
    expect(errorsOf(onePoolRaw({ runnerTags: ["docker"], runUntagged: true, runnerLocked: false }))).toEqual([]);
    expect(
      errorsOf(onePoolRaw({ runnerTags: ["docker"], runUntagged: true }, { registrationMode: "registration-token" })),
    ).toEqual([]);
  });

  it("requires the tags of an in-VPC runner for build-ami with sshInterface private_ip, and only there", () => {
    const errs = errorsOf({ ...minimalRaw, sshInterface: "private_ip" });
    expect(errs.map((e) => e.path)).toEqual(["/buildJobTags"]);
    expect(errs[0].message).toMatch(
      /required with sshInterface private_ip.*buildJobTags: \[aws-vpc\].*session_manager/,
    );
    expect(errorsOf({ ...minimalRaw, sshInterface: "private_ip", buildJobTags: ["aws-vpc"] })).toEqual([]);
    expect(errorsOf({ ...minimalRaw, buildJobTags: ["aws-vpc"] }).map((e) => e.path)).toEqual(["/buildJobTags"]);
    expect(errorsOf({ ...minimalRaw, ciJobTags: ["docker", "saas-linux-small-amd64"] })).toEqual([]);
  });

  it("normalises the GitLab URL once: no trailing slash, lowercase host, no default port, path kept", () => {
    const url = (gitlabUrl: string) => validAnswers({ ...minimalRaw, gitlabUrl }).gitlabUrl;
    expect(url("https://gitlab.acme.example/")).toBe("https://gitlab.acme.example");
    expect(url("https://GitLab.Acme.Example//")).toBe("https://gitlab.acme.example");
    expect(url("https://gitlab.acme.example:443/")).toBe("https://gitlab.acme.example");
    expect(url("https://gitlab.acme.example:8443/Git/Lab/")).toBe("https://gitlab.acme.example:8443/Git/Lab");
    expect(url("https://gitlab.com")).toBe("https://gitlab.com");
    for (const u of ["https://a.example/", "https://A.example:443/x/", "https://a.example/x//"])
      expect(url(url(u))).toBe(url(u));
  });

  it("refuses SSH to the world and impossible CIDRs", () => {
    const errs = errorsOf({
      ...minimalRaw,
      sshInterface: "private_ip",
      buildJobTags: ["vpc"],
      buildAllowedCidrs: ["0.0.0.0/0", "10.300.0.0/16"],
    });
    expect(errs.map((e) => e.path)).toEqual(["/buildAllowedCidrs/0", "/buildAllowedCidrs/1"]);
  });

  it("refuses CIDRs with host bits set, which AWS refuses at apply, and names the network", () => {
    const errs = errorsOf({ ...minimalRaw, egressCidrs: ["0.0.0.1/0", "10.1.2.3/8", "192.168.1.0/24", "10.0.0.7/32"] });
    expect(errs.map((e) => [e.path, e.message])).toEqual([
      ["/egressCidrs/0", 'has host bits set, which AWS refuses; did you mean "0.0.0.0/0"?'],
      ["/egressCidrs/1", 'has host bits set, which AWS refuses; did you mean "10.0.0.0/8"?'],
    ]);
  });

  it("refuses tag letters newer than Terraform's Unicode tables, naming the key", () => {
    const errs = errorsOf({ ...minimalRaw, tags: { "Team/x": "a\u1c89", Ok: "é 日本" } });
    expect(errs.map((e) => e.path)).toEqual(["/tags/Team~1x"]);
    expect(errs[0].message).toMatch(/^value holds .* \(U\+1C89\), a character newer than Terraform's Unicode tables/);
  });

  it("refuses Packer template syntax in tag values", () => {
    expect(errorsOf({ ...minimalRaw, tags: { Team: "a {{timestamp}}", Ok: "x" } }).map((e) => e.path)).toEqual([
      "/tags/Team",
    ]);
  });

  it("rejects non-objects without throwing", () => {
    for (const raw of [null, [], "text", 42, true]) expect(errorsOf(raw)).toHaveLength(1);
  });
});

describe("cronProblem", () => {
  it.each(["30 19 * * MON-FRI", "30 6 * * 1-5", "*/15 * * * *", "0 0 1,15 * *", "0 8 * JAN-MAR sun", "0 0 * * 7"])(
    "accepts %s",
    (c) => {
      expect(cronProblem(c)).toBeUndefined();
    },
  );
  it.each([
    ["30 19 * *", /4 fields/],
    ["0 30 19 * * MON", /6 fields/],
    ["60 * * * *", /minute field .* out of range/],
    ["0 24 * * *", /hour field/],
    ["0 0 0 * *", /day of month/],
    ["0 0 * 13 *", /month/],
    ["0 0 * * FRI-MON", /backwards/],
    ["*/0 * * * *", /step of 0/],
    ["0 0 L * *", /day of month/],
    ["0 0 ? * *", /day of month/],
  ])("rejects %s", (c, why) => {
    expect(cronProblem(c)).toMatch(why);
  });
});

describe("the alarms' SNS topic and the log group's KMS key", () => {
  const base = exampleAnswers("ubuntu-arm64-shell-legacy.yaml");
  it("are accepted in the answered region", () => {
    expect(validateAnswers(base).errors).toEqual([]);
  });
  it("are refused in another region or partition, each by name", () => {
    const errors = validateAnswers({
      ...base,
      alarmSnsTopicArn: "arn:aws:sns:eu-west-1:210987654321:ci-runner-alarms",
      logKmsKeyArn: "arn:aws-cn:kms:us-east-2:210987654321:key/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b",
    }).errors.map(formatError);
    expect(errors).toEqual([
      expect.stringMatching(/^\/logKmsKeyArn: .*must be in the partition of awsRegion us-east-2/),
      expect.stringMatching(/^\/alarmSnsTopicArn: .*must be in awsRegion us-east-2 \(arn:aws:sns:us-east-2:…\)/),
    ]);
  });
  it("refuse an alias or a FIFO topic, which CloudWatch cannot use there", () => {
    const errors = validateAnswers({
      ...base,
      alarmSnsTopicArn: "arn:aws:sns:us-east-2:210987654321:alarms.fifo",
      logKmsKeyArn: "alias/logs",
    }).errors.map(formatError);
    expect(errors.map((e) => e.split(":")[0]).sort()).toEqual(["/alarmSnsTopicArn", "/logKmsKeyArn"]);
  });
});
