import { banksim } from "../../generated/bank.js";
export const pb = banksim.v1;
