// The tests' network namespaces: the same helper the netns benchmark uses.
export { Network, namespacesOf, netemUnavailable, netnsUnavailable, nftUnavailable } from "../../lib/bench/netns.js";
