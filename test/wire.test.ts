import t from "tap";
import { pb } from "../lib/wire.js";
t.test("a request survives a round trip through the wire format", async (t) => {
  const req = new pb.CustomerRequest({ requestId: "s1#1", amountCents: 40000 });
  const back = pb.CustomerRequest.deserialize(req.serialize());
  t.equal(back.requestId, "s1#1");
  t.equal(back.amountCents, 40000);
});

t.test("after 10,000 operations a session's request stays a few bytes per branch", async (t) => {
  // A session that wrote 10,000 times over 10 branches and read everything:
  // its sets are version vectors, one entry per branch, however long it ran.
  const { toWire } = await import("../lib/version-vector.js");
  const { addWrite } = await import("../lib/version-vector.js");
  const writes = new Map<number, number>();
  for (let i = 0; i < 10_000; i++) addWrite(writes, { branch: 1 + (i % 10), seq: 1 + Math.floor(i / 10) });
  const req = new pb.CustomerRequest({
    requestId: "c1#10001", session: "c1", interface: pb.Interface.QUERY,
    writeSet: toWire(writes), readSet: toWire(writes), guarantees: 15,
  });
  const bytes = req.serialize().length;
  t.ok(bytes <= 10 * 2 * 4 + 40, `${bytes} bytes for 10 branches`);
});
