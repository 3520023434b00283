export const page = "web";
