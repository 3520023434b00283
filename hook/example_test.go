package hook_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/monoctx/monoctx/hook"
)

func ExampleScript() {
	fmt.Print(string(hook.Script(hook.Hook{Name: hook.PreCommit, Mode: hook.ModeCheck}, "/usr/local/bin/monoctx")))
	// Output:
	// #!/bin/sh
	// # monoctx hook v1 name=pre-commit mode=check
	// # Written by `monoctx hook install`, which rewrites this file: edits are lost.
	// # `monoctx hook uninstall` removes it and restores the hook that was here
	// # before, kept meanwhile as pre-commit.monoctx-chained and run first.
	//
	// chained="$(dirname -- "$0")"/pre-commit.monoctx-chained
	// if [ -x "$chained" ]; then
	// 	"$chained" "$@" || exit $?
	// fi
	//
	// monoctx=/usr/local/bin/monoctx
	// if [ ! -x "$monoctx" ]; then
	// 	monoctx=$(command -v monoctx 2>/dev/null) || monoctx=
	// fi
	// if [ -z "$monoctx" ]; then
	// 	printf 'monoctx hook pre-commit: monoctx is neither at %s nor on PATH.\n' /usr/local/bin/monoctx >&2
	// 	echo 'monoctx hook pre-commit: fix: install it (go install github.com/monoctx/monoctx/cmd/monoctx@latest) and put it on PATH,' >&2
	// 	echo 'monoctx hook pre-commit: or remove this hook with: monoctx hook uninstall --hook pre-commit' >&2
	// 	printf 'monoctx hook pre-commit: (by hand: delete %s; if %s exists, rename it to pre-commit)\n' "$0" "$chained" >&2
	// 	echo 'monoctx hook pre-commit: commit refused: check mode cannot pass without monoctx (bypass once: git commit --no-verify).' >&2
	// 	exit 1
	// fi
	// exec "$monoctx" hook run pre-commit --mode check -- "$@"
}

func ExampleHook_RunArgs() {
	h, err := hook.Hook{Name: hook.PrePush, FailOnAffected: true}.Normalize()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(strings.Join(h.RunArgs(), " "))
	// Output: hook run pre-push --mode report --fail-on-affected --
}

func ExampleParsePrePush() {
	stdin := strings.NewReader(
		"refs/heads/feature 1111111111111111111111111111111111111111 refs/heads/feature 0000000000000000000000000000000000000000\n" +
			"(delete) 0000000000000000000000000000000000000000 refs/heads/old 2222222222222222222222222222222222222222\n")
	refs, err := hook.ParsePrePush(stdin)
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range refs {
		fmt.Printf("%s new=%v delete=%v\n", r.RemoteRef, r.IsNew(), r.IsDelete())
	}
	// Output:
	// refs/heads/feature new=true delete=false
	// refs/heads/old new=false delete=true
}

func ExampleInstall() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "monoctx-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer func() {
		if err := os.RemoveAll(dir); err != nil {
			log.Fatal(err)
		}
	}()
	if out, err := exec.Command("git", "init", "-q", dir).CombinedOutput(); err != nil {
		log.Fatalf("git init: %v: %s", err, out)
	}
	// A hook that was there before is kept and run first.
	if err := os.WriteFile(filepath.Join(dir, ".git", "hooks", "pre-commit"), []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		log.Fatal(err)
	}

	for range 2 {
		res, err := hook.Install(ctx, dir, hook.Hook{Name: hook.PreCommit}, "/usr/local/bin/monoctx")
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s mode=%s changed=%v chained=%s\n", filepath.Base(res.Path), res.Hook.Mode, res.Changed, filepath.Base(res.Chained))
	}
	statuses, err := hook.List(ctx, dir)
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range statuses {
		fmt.Printf("%s installed=%v foreign=%v\n", s.Name, s.Installed, s.Foreign)
	}
	if err := hook.Uninstall(ctx, dir); err != nil {
		log.Fatal(err)
	}
	orig, err := os.ReadFile(filepath.Join(dir, ".git", "hooks", "pre-commit"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("restored: %q\n", orig)
	// Output:
	// pre-commit mode=fix changed=true chained=pre-commit.monoctx-chained
	// pre-commit mode=fix changed=false chained=pre-commit.monoctx-chained
	// pre-commit installed=true foreign=false
	// pre-push installed=false foreign=false
	// restored: "#!/bin/sh\nexit 0\n"
}
