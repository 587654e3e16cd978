import t from "tap";
import { pb } from "../lib/wire.js";
t.test("a request survives a round trip through the wire format", async (t) => {
  const req = new pb.CustomerRequest({ requestId: "s1#1", amountCents: 40000 });
  const back = pb.CustomerRequest.deserialize(req.serialize());
  t.equal(back.requestId, "s1#1");
  t.equal(back.amountCents, 40000);
});
