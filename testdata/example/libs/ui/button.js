export const button = () => "button";
