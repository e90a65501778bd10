// The provider double: a tfplugin6 gRPC server for registry.terraform.io/hashicorp/aws,
// plus the go-plugin side services (broker, stdio, controller) and gRPC health,
// served on a unix socket for Terraform's TF_REATTACH_PROVIDERS.
import grpc from "@grpc/grpc-js";
import protoLoader from "@grpc/proto-loader";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { appendFileSync } from "node:fs";
import { loadSchema, toProtoSchema, PROVIDER_ADDR } from "./schema.mjs";
import { fromMsgpack, fromJSON, toMsgpack, UNKNOWN, isUnknown, whollyKnown } from "./cty.mjs";
import { readDataSource, planHooks, STATE_FUNCS } from "./aws.mjs";
import { validateResource, validateDataSource, validateProvider } from "./validate.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const protoDir = join(here, "..", "proto");
const loadOpts = { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true, includeDirs: [protoDir] };

function log(...args) {
  if (process.env.TF_DOUBLE_LOG) appendFileSync(process.env.TF_DOUBLE_LOG, `${new Date().toISOString()} ${args.join(" ")}\n`);
}

const diag = (severity, summary, detail = "", attrPath = null) => ({
  severity,
  summary,
  detail,
  attribute: attrPath ? { steps: attrPath.map((s) => (typeof s === "number" ? { element_key_int: s } : { attribute_name: s })) } : null,
});
export const errorDiag = (summary, detail, path) => diag("ERROR", summary, detail, path);

function subset(schema, only) {
  if (!only) return schema;
  const pick = (all, names) => Object.fromEntries(names.filter((n) => all[n]).sort().map((n) => [n, all[n]]));
  return { ...schema, resources: pick(schema.resources, only.resources ?? []), data: pick(schema.data, only.data ?? []) };
}

// planned = proposed new state, with every computed attribute that is still null
// (the configuration leaves it unset and there is no prior value) made unknown.
function markComputedUnknown(block, v) {
  if (v === null || isUnknown(v)) return v;
  const out = { ...v };
  for (const [name, a] of Object.entries(block.attributes ?? {})) {
    if (a.computed && (out[name] === null || out[name] === undefined)) out[name] = UNKNOWN;
  }
  for (const [name, b] of Object.entries(block.block_types ?? {})) {
    const x = out[name];
    if (x === null || x === undefined || isUnknown(x)) continue;
    if (b.nesting_mode === "single" || b.nesting_mode === "group") out[name] = markComputedUnknown(b.block, x);
    else if (b.nesting_mode === "map") out[name] = Object.fromEntries(Object.entries(x).map(([k, e]) => [k, markComputedUnknown(b.block, e)]));
    else out[name] = x.map((e) => markComputedUnknown(b.block, e));
  }
  return out;
}
// SDKv2 Default values: planned when the configuration leaves the attribute unset.
// Returns true when it filled one (the real SDKv2 provider then answers with
// legacy_type_system, which is what lets Terraform accept a planned value the
// configuration did not set).
function applyAtPath(block, v, parts, fn) {
  if (v === null || v === undefined || isUnknown(v)) return v;
  const [head, ...rest] = parts;
  if (rest.length === 0) return fn(v, head);
  const bt = block.block_types?.[head];
  const x = v[head];
  if (!bt || x === null || x === undefined || isUnknown(x)) return v;
  const out = { ...v };
  if (bt.nesting_mode === "single" || bt.nesting_mode === "group") out[head] = applyAtPath(bt.block, x, rest, fn);
  else if (bt.nesting_mode === "map") out[head] = Object.fromEntries(Object.entries(x).map(([k, e]) => [k, applyAtPath(bt.block, e, rest, fn)]));
  else out[head] = x.map((e) => applyAtPath(bt.block, e, rest, fn));
  return out;
}
function applyDefaults(schema, planned) {
  let filled = false;
  for (const [path, def] of Object.entries(schema.defaults ?? {})) {
    planned = applyAtPath(schema.block, planned, path.split("."), (obj, name) => {
      if (obj[name] !== null && obj[name] !== undefined) return obj;
      filled = true;
      return { ...obj, [name]: def };
    });
  }
  return { planned, filled };
}
function applyStateFuncs(schema, planned) {
  let changed = false;
  for (const [path, fname] of Object.entries(schema.stateFuncs ?? {})) {
    const f = STATE_FUNCS[fname];
    planned = applyAtPath(schema.block, planned, path.split("."), (obj, name) => {
      if (typeof obj[name] !== "string") return obj;
      const nv = f(obj[name]);
      if (nv === obj[name]) return obj;
      changed = true;
      return { ...obj, [name]: nv };
    });
  }
  return { planned, changed };
}

// Apply: planned state with unknowns replaced by plausible values.
function resolveUnknowns(block, v, typeName, ctx) {
  if (v === null) return null;
  const out = { ...v };
  for (const [name, a] of Object.entries(block.attributes ?? {})) {
    if (isUnknown(out[name])) out[name] = fakeForApply(a.type, name, typeName, ctx);
  }
  for (const [name, b] of Object.entries(block.block_types ?? {})) {
    const x = out[name];
    if (x === null || x === undefined) continue;
    if (isUnknown(x)) { out[name] = b.nesting_mode === "single" ? null : b.nesting_mode === "map" ? {} : []; continue; }
    if (b.nesting_mode === "single" || b.nesting_mode === "group") out[name] = resolveUnknowns(b.block, x, typeName, ctx);
    else if (b.nesting_mode === "map") out[name] = Object.fromEntries(Object.entries(x).map(([k, e]) => [k, resolveUnknowns(b.block, e, typeName, ctx)]));
    else out[name] = x.map((e) => resolveUnknowns(b.block, e, typeName, ctx));
  }
  return out;
}
function fakeForApply(type, name, typeName, ctx) {
  if (type === "string") {
    if (name === "arn" || name.endsWith("_arn")) return `arn:aws:${(typeName.match(/^aws_([a-z0-9]+)/) ?? [])[1]}:${ctx.region}:123456789012:${typeName.replace(/^aws_/, "")}/tf-double`;
    return `tf-double-${name}`;
  }
  if (type === "number") return 1;
  if (type === "bool") return false;
  if (type === "dynamic") return null;
  const [kind] = type;
  return kind === "map" || kind === "object" ? {} : [];
}

// opts.schema: a schema loadSchema() returned already (it takes about 0.3 s).
// opts.env: the environment of the provider process (default this process's);
// a configuration without a region reads AWS_REGION there, as the real one does.
// opts.only: { resources: [...], data: [...] } serves just these types, with
// their full schema. Terraform decodes the whole schema response several times
// per command, so serving the 1581 resources costs seconds; a type outside the
// list is refused by Terraform as one the provider does not support.
export function createProvider(opts = {}) {
  const schema = subset(opts.schema ?? loadSchema(opts), opts.only);
  const state = { region: null, defaultTags: {}, configured: false, fixtures: opts.fixtures ?? null };
  const ctx = () => ({ region: state.region ?? "us-east-1", defaultTags: state.defaultTags, fixtures: state.fixtures });

  // Pre-encode the big schema response once; Terraform asks for it per provider instance.
  const schemaResponse = {
    provider: toProtoSchema(schema.provider),
    resource_schemas: Object.fromEntries(Object.entries(schema.resources).map(([k, s]) => [k, toProtoSchema(s)])),
    data_source_schemas: Object.fromEntries(Object.entries(schema.data).map(([k, s]) => [k, toProtoSchema(s)])),
    functions: {},
    ephemeral_resource_schemas: {},
    diagnostics: [],
    provider_meta: null,
    server_capabilities: { plan_destroy: false, get_provider_schema_optional: false, move_resource_state: false },
  };

  const resSchema = (t) => schema.resources[t];
  const dataSchema = (t) => schema.data[t];
  const unknownType = (kind, t) => ({ diagnostics: [errorDiag(`tf-double: unknown ${kind} type ${t}`, `The aws provider schema (${schema.source}) has no ${kind} type "${t}".`)] });

  const handlers = {
    GetMetadata(req) {
      return {
        server_capabilities: schemaResponse.server_capabilities,
        diagnostics: [],
        data_sources: Object.keys(schema.data).map((type_name) => ({ type_name })),
        resources: Object.keys(schema.resources).map((type_name) => ({ type_name })),
        functions: [],
        ephemeral_resources: [],
      };
    },
    GetProviderSchema() {
      return schemaResponse;
    },
    ValidateProviderConfig(req) {
      const cfg = fromMsgpack(req.config?.msgpack, schema.provider.type);
      return { diagnostics: validateProvider(cfg) };
    },
    ValidateResourceConfig(req) {
      const s = resSchema(req.type_name);
      if (!s) return unknownType("resource", req.type_name);
      const cfg = fromMsgpack(req.config?.msgpack, s.type);
      return { diagnostics: validateResource(req.type_name, s, cfg) };
    },
    ValidateDataResourceConfig(req) {
      const s = dataSchema(req.type_name);
      if (!s) return unknownType("data source", req.type_name);
      const cfg = fromMsgpack(req.config?.msgpack, s.type);
      return { diagnostics: validateDataSource(req.type_name, s, cfg) };
    },
    ValidateEphemeralResourceConfig(req) {
      return { diagnostics: [errorDiag(`tf-double: no ephemeral resource ${req.type_name}`)] };
    },
    UpgradeResourceState(req) {
      const s = resSchema(req.type_name);
      if (!s) return unknownType("resource", req.type_name);
      const v = req.raw_state?.json?.length ? fromJSON(req.raw_state.json, s.type) : null;
      return { upgraded_state: { msgpack: toMsgpack(v, s.type) }, diagnostics: [] };
    },
    ConfigureProvider(req) {
      const cfg = fromMsgpack(req.config?.msgpack, schema.provider.type) ?? {};
      const env = opts.env ?? process.env;
      state.region = typeof cfg.region === "string" ? cfg.region : env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? null;
      const dt = cfg.default_tags;
      const dtObj = Array.isArray(dt) ? dt[0] : dt;
      state.defaultTags = dtObj && !isUnknown(dtObj) ? (dtObj.tags ?? {}) : {};
      state.configured = true;
      const diagnostics = [];
      if (!state.region) diagnostics.push(errorDiag("Missing required argument", 'The argument "region" is required, but no definition was found.'));
      return { diagnostics };
    },
    ReadResource(req) {
      // Nothing exists outside this process: the state read back is the state given.
      return { new_state: req.current_state, diagnostics: [], private: req.private ?? Buffer.alloc(0), deferred: null };
    },
    PlanResourceChange(req) {
      const s = resSchema(req.type_name);
      if (!s) return unknownType("resource", req.type_name);
      const proposed = fromMsgpack(req.proposed_new_state?.msgpack, s.type);
      const config = fromMsgpack(req.config?.msgpack, s.type);
      const prior = fromMsgpack(req.prior_state?.msgpack, s.type);
      if (proposed === null) return { planned_state: req.proposed_new_state, requires_replace: [], diagnostics: [] };
      let planned = markComputedUnknown(s.block, proposed);
      planned = planHooks(req.type_name, s, planned, config ?? {}, ctx());
      const d = applyDefaults(s, planned);
      const f = applyStateFuncs(s, d.planned);
      planned = f.planned;
      const legacy = d.filled || f.changed;
      if (prior !== null) {
        // An update: keep computed values of the prior state (the provider would only
        // know better after reading AWS).
        for (const [name, a] of Object.entries(s.block.attributes)) {
          if (a.computed && isUnknown(planned[name]) && prior[name] !== null && (config?.[name] === null || config?.[name] === undefined)) planned[name] = prior[name];
        }
      }
      log("plan", req.type_name);
      return { planned_state: { msgpack: toMsgpack(planned, s.type) }, requires_replace: [], planned_private: Buffer.alloc(0), diagnostics: [], legacy_type_system: legacy };
    },
    ApplyResourceChange(req) {
      const s = resSchema(req.type_name);
      if (!s) return unknownType("resource", req.type_name);
      const planned = fromMsgpack(req.planned_state?.msgpack, s.type);
      const v = resolveUnknowns(s.block, planned, req.type_name, ctx());
      return { new_state: { msgpack: toMsgpack(v, s.type) }, private: Buffer.alloc(0), diagnostics: [], legacy_type_system: false };
    },
    ImportResourceState(req) {
      return { imported_resources: [], diagnostics: [errorDiag("tf-double: import is not supported")] };
    },
    MoveResourceState(req) {
      return { diagnostics: [errorDiag("tf-double: moving resource state across types is not supported")] };
    },
    ReadDataSource(req) {
      const s = dataSchema(req.type_name);
      if (!s) return unknownType("data source", req.type_name);
      const cfg = fromMsgpack(req.config?.msgpack, s.type);
      if (!whollyKnown(cfg)) {
        return { diagnostics: [errorDiag("tf-double: data source configuration is not wholly known", req.type_name)] };
      }
      let v;
      try {
        v = readDataSource(req.type_name, s.block, cfg, ctx());
      } catch (e) {
        return { diagnostics: [errorDiag(`reading ${req.type_name}`, String(e.message ?? e))] };
      }
      log("read", req.type_name);
      return { state: { msgpack: toMsgpack(v, s.type) }, diagnostics: [] };
    },
    GetFunctions() {
      return { functions: {}, diagnostics: [] };
    },
    CallFunction(req) {
      return { result: null, error: { text: `tf-double: no function ${req.name}` } };
    },
    OpenEphemeralResource(req) {
      return { diagnostics: [errorDiag("tf-double: ephemeral resources are not supported")] };
    },
    RenewEphemeralResource() {
      return { diagnostics: [] };
    },
    CloseEphemeralResource() {
      return { diagnostics: [] };
    },
    StopProvider() {
      return { Error: "" };
    },
  };
  return { schema, handlers, schemaResponse };
}

export async function serve({ socket, onStop, ...opts }) {
  const { schema, handlers, schemaResponse } = createProvider(opts);
  const tf = grpc.loadPackageDefinition(protoLoader.loadSync(join(protoDir, "tfplugin6.proto"), loadOpts)).tfplugin6;
  const gp = grpc.loadPackageDefinition(protoLoader.loadSync(join(protoDir, "goplugin.proto"), loadOpts)).plugin;
  const health = grpc.loadPackageDefinition(protoLoader.loadSync(join(protoDir, "health.proto"), loadOpts)).grpc.health.v1;

  // Serialize the schema response once and hand the bytes back on every call.
  const svc = { ...tf.Provider.service };
  const gps = svc.GetProviderSchema;
  const cached = gps.responseSerialize(schemaResponse);
  svc.GetProviderSchema = { ...gps, responseSerialize: (v) => (v === schemaResponse ? cached : gps.responseSerialize(v)) };

  const server = new grpc.Server({ "grpc.max_send_message_length": 256 << 20, "grpc.max_receive_message_length": 256 << 20 });
  const impl = {};
  for (const name of Object.keys(svc)) {
    const h = handlers[name];
    impl[name] = (call, cb) => {
      log("rpc", name, call.request?.type_name ?? "");
      try {
        cb(null, h ? h(call.request) : {});
      } catch (e) {
        log("error", name, e.stack ?? e);
        cb({ code: grpc.status.INTERNAL, details: `tf-double ${name}: ${e.message ?? e}` });
      }
    };
  }
  server.addService(svc, impl);
  server.addService(gp.GRPCBroker.service, {
    StartStream(call) {
      log("rpc", "plugin.GRPCBroker/StartStream");
      call.on("data", () => {});
      call.on("end", () => call.end());
      call.on("error", () => {});
    },
  });
  server.addService(gp.GRPCStdio.service, {
    StreamStdio(call) {
      log("rpc", "plugin.GRPCStdio/StreamStdio");
      call.on("cancelled", () => {});
      // no output to forward; keep the stream open until the client goes
    },
  });
  server.addService(gp.GRPCController.service, {
    Shutdown(call, cb) {
      log("rpc", "plugin.GRPCController/Shutdown");
      cb(null, {});
      if (onStop) setImmediate(onStop);
    },
  });
  server.addService(health.Health.service, {
    Check(call, cb) {
      log("rpc", "grpc.health.v1.Health/Check", call.request?.service ?? "");
      cb(null, { status: "SERVING" });
    },
    Watch(call) {
      call.write({ status: "SERVING" });
    },
  });
  await new Promise((resolve, reject) =>
    server.bindAsync(`unix:${socket}`, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())),
  );
  const reattach = {
    [PROVIDER_ADDR]: { Protocol: "grpc", ProtocolVersion: 6, Pid: process.pid, Test: true, Addr: { Network: "unix", String: socket } },
  };
  return { server, schema, reattach };
}
