// Package hook installs, lists and removes the git hooks that keep a
// monorepo's generated Docker ignore files in step with its commits, and
// gives `monoctx hook run` the git plumbing it needs when a hook fires.
//
// Two hooks are known:
//
//   - pre-commit, mode "fix" (default): the command regenerates the ignore
//     files of the apps the staged change touches and stages them
//     ([StagedPaths], [ReadStaged], [StageFiles]). Mode "check" fails the
//     commit instead, listing the stale files and the command that fixes them.
//   - pre-push, mode "report": the command reads the refs being pushed
//     ([ParsePrePush], or [PushedRefsFromEnv] under the pre-commit framework)
//     and prints, per ref, the apps the push affects compared with
//     [PushBase]. It blocks the push only when [Hook.FailOnAffected] is set.
//
// # Where hooks go
//
// [Dir] asks git: core.hooksPath when set (a relative value is taken from the
// root of the work tree, as git does, so husky's ".husky" works), otherwise
// the hooks directory of the common git dir, which every linked worktree
// shares.
//
// # The installed script
//
// [Script] renders a POSIX sh script whose second line is the marker
// "# monoctx hook v1 name=… mode=…"; only files carrying it are ever
// overwritten or removed. The script runs `monoctx hook run NAME --mode MODE
// [--fail-on-affected] -- "$@"` ([Hook.RunArgs]); the command's flags and this
// argument list are the contract between the script and the CLI.
//
// Never clobber: [Install] moves a hook that was already there (a file or a
// symlink, never written through) to NAME.monoctx-chained. The script runs
// that hook first, with the same arguments and the same standard input, and
// stops with its status if it fails. [Uninstall] renames it back, so its
// bytes and mode are restored exactly. Installing twice writes nothing the
// second time.
//
// The script looks for monoctx first at the absolute path given to Install
// (GUI git clients often run hooks with a reduced PATH), then on PATH. When
// it finds neither it prints how to fix that on stderr, and then
//
//   - pre-commit in check mode, and pre-push with FailOnAffected, exit 1:
//     a hook whose job is to block must not pass silently;
//   - pre-commit in fix mode and pre-push in report mode exit 0: they only
//     repair or inform, and `monoctx ignore --check` in CI still catches
//     stale files.
//
// The library never prints and keeps no global state; every git access goes
// through the git CLI with the caller's context.
package hook
