export default { locales: ["en", "de"], catalogs: [{ path: "<rootDir>/packages/lib/translations/{locale}/web" }] };
