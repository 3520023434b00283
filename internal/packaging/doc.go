// Package packaging holds the tests of what monoctx ships besides its Go packages: the release
// archives (scripts/release), the static `make build`, the GitHub Action (action.yml and
// scripts/github-action, linted with actionlint together with the README's workflow) and the
// pre-commit framework's hooks (.pre-commit-hooks.yaml, run with `pre-commit try-repo`).
package packaging
