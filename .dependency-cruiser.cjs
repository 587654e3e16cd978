// The architecture rules, checked by test/architecture.test.ts in `npm test`
// (and by `npx depcruise lib` by hand). lib/ is a house of rooms; each room
// may use only the rooms below it:
//
//   core                         pure state machines and rules: no I/O, no imports from outside core
//   storage, wire, history       the disk, the protobuf wire, the history format (over core; the
//                                wire uses google-protobuf and the history ajv, each for its format)
//   checker, scenario            judging histories, reading scenario files (over core, history)
//   hosting                      branches as gRPC servers in a host (over core, storage, wire)
//   cluster, driver              the worker pool; customer sessions over gRPC (over hosting, wire)
//   sim                          the deterministic simulator (the same core, in virtual time)
//   report                       report.html: a history and the checker's findings as a page (over
//                                core, storage, history, checker; uPlot only as its types, its build is
//                                read as a file and inlined)
//   run, bench, cli              orchestration and the command line, at the top
//
// Anything not allowed below is forbidden; circular imports are forbidden everywhere.

const room = (name) => `^lib/${name}/`;
const rooms = (...names) => `^(lib/(${names.join("|")})/|generated/)`;
const npmOrNode = ["npm", "npm-dev", "core"];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "Modules must not import each other in a circle: split out what both need.",
      from: {},
      to: { circular: true },
    },
    {
      name: "core-is-pure",
      severity: "error",
      comment: "lib/core is the pure core: it imports only lib/core (no node: modules, no packages, no other room).",
      from: { path: room("core") },
      to: { pathNot: room("core") },
    },
    {
      name: "protocol-is-a-leaf",
      severity: "error",
      comment: "The worker protocol is a leaf: it imports (types) from lib/core and node:worker_threads only.",
      from: { path: "^lib/hosting/worker-protocol\\.ts$" },
      to: { pathNot: ["^lib/core/", "^worker_threads$"] },
    },
    {
      name: "lib-never-imports-tests",
      severity: "error",
      from: { path: "^(lib|generated)/" },
      to: { path: "^test/" },
    },
  ],
  allowed: [
    { from: { path: room("core") }, to: { path: room("core") } },
    { from: { path: room("storage") }, to: { path: rooms("core", "storage") } },
    { from: { path: room("storage") }, to: { dependencyTypes: ["core"] } },
    { from: { path: room("wire") }, to: { path: rooms("core", "wire") } },
    { from: { path: room("wire") }, to: { dependencyTypes: npmOrNode } },
    { from: { path: room("history") }, to: { path: rooms("core", "storage", "history") } },
    { from: { path: room("history") }, to: { dependencyTypes: ["core"] } },
    // The history format's schema (schemas/history-record.schema.json) is checked with ajv, and with no other package.
    { from: { path: room("history") }, to: { dependencyTypes: ["npm"], path: "(^|/)node_modules/ajv/" } },
    { from: { path: room("checker") }, to: { path: rooms("core", "history", "checker") } },
    { from: { path: room("scenario") }, to: { path: rooms("core", "scenario") } },
    { from: { path: room("scenario") }, to: { dependencyTypes: ["core"] } },
    { from: { path: room("hosting") }, to: { path: rooms("core", "storage", "wire", "hosting") } },
    { from: { path: room("hosting") }, to: { dependencyTypes: npmOrNode } },
    { from: { path: room("cluster") }, to: { path: rooms("core", "wire", "hosting", "cluster") } },
    { from: { path: room("cluster") }, to: { dependencyTypes: npmOrNode } },
    { from: { path: room("driver") }, to: { path: rooms("core", "wire", "history", "driver") } },
    { from: { path: room("driver") }, to: { dependencyTypes: npmOrNode } },
    { from: { path: room("sim") }, to: { path: rooms("core", "storage", "history", "checker", "sim") } },
    { from: { path: room("sim") }, to: { dependencyTypes: ["core"] } },
    { from: { path: room("report") }, to: { path: rooms("core", "storage", "history", "checker", "report") } },
    { from: { path: room("report") }, to: { dependencyTypes: ["core"] } },
    // The browser script (lib/report/client/) takes uPlot's types; the page inlines uPlot's build, read as a file.
    { from: { path: room("report") }, to: { dependencyTypes: ["npm"], path: "(^|/)node_modules/uplot/" } },
    { from: { path: room("run") }, to: { path: rooms("core", "storage", "wire", "history", "checker", "scenario", "hosting", "cluster", "driver", "run") } },
    { from: { path: room("run") }, to: { dependencyTypes: npmOrNode } },
    { from: { path: room("bench") }, to: { path: rooms("core", "storage", "wire", "history", "checker", "scenario", "hosting", "cluster", "driver", "run", "bench") } },
    { from: { path: room("bench") }, to: { dependencyTypes: npmOrNode } },
    { from: { path: room("cli") }, to: { path: "^(lib|generated)/" } },
    { from: { path: room("cli") }, to: { dependencyTypes: npmOrNode } },
    { from: { path: "^generated/" }, to: { dependencyTypes: npmOrNode } },
  ],
  allowedSeverity: "error",
  options: {
    parser: "swc",
    tsPreCompilationDeps: true,
    doNotFollow: { path: "node_modules" },
    exclude: { path: "\\.d\\.ts$" },
    tsConfig: { fileName: "tsconfig.json" },
  },
};
