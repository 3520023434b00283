// Package jsdeps reads JavaScript workspaces (npm, yarn and pnpm) to narrow
// the input set of an app built with `npm ci && npm run build -w web` from
// "the whole context" to the app's package, the workspace packages it
// depends on, and the files that drive the install (root package.json,
// lockfile, package-manager configuration).
//
// Load finds the workspace around a directory and reads its packages from
// the `workspaces` field of package.json or from pnpm-workspace.yaml.
// Workspace.Inputs lists what one package's build reads, each entry with the
// chain of dependencies that brought it in. LockfileChanges attributes a
// lockfile change to the workspace packages whose resolved dependencies
// changed, so that a dependency bump selects the apps that use it instead of
// every app.
package jsdeps
