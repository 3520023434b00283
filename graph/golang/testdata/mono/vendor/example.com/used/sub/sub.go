// Package sub is a vendored sub-package.
package sub

// Name names it.
const Name = "used"
