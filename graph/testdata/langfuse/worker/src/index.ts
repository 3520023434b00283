export const job = "worker";
