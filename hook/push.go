package hook

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// PushedRef is one line of the pre-push hook's standard input (githooks(5)):
//
//	<local ref> SP <local object name> SP <remote ref> SP <remote object name> LF
type PushedRef struct {
	LocalRef  string `json:"localRef"`
	LocalSHA  string `json:"localSHA"`
	RemoteRef string `json:"remoteRef"`
	RemoteSHA string `json:"remoteSHA"`
}

// IsDelete reports whether the push deletes RemoteRef (the local object name
// is all zeros and LocalRef is "(delete)").
func (r PushedRef) IsDelete() bool { return isZero(r.LocalSHA) }

// IsNew reports whether RemoteRef does not exist on the remote yet (the
// remote object name is all zeros).
func (r PushedRef) IsNew() bool { return isZero(r.RemoteSHA) }

func isZero(sha string) bool { return sha != "" && strings.Trim(sha, "0") == "" }

func isObjectName(s string) bool {
	if len(s) != 40 && len(s) != 64 { // SHA-1 or SHA-256
		return false
	}
	return strings.Trim(s, "0123456789abcdef") == ""
}

// ParsePrePush parses the pre-push hook's standard input. Blank lines are
// skipped; no lines (nothing to push) is not an error. A malformed line is
// reported with its line number.
func ParsePrePush(r io.Reader) ([]PushedRef, error) {
	var refs []PushedRef
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSuffix(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		f := strings.Split(line, " ")
		if len(f) != 4 {
			return nil, fmt.Errorf("parsing pre-push input line %d: want 4 space-separated fields, got %d in %q", n, len(f), line)
		}
		ref := PushedRef{LocalRef: f[0], LocalSHA: f[1], RemoteRef: f[2], RemoteSHA: f[3]}
		for _, sha := range []string{ref.LocalSHA, ref.RemoteSHA} {
			if !isObjectName(sha) {
				return nil, fmt.Errorf("parsing pre-push input line %d: %q is not an object name", n, sha)
			}
		}
		if ref.LocalRef == "" || ref.RemoteRef == "" {
			return nil, fmt.Errorf("parsing pre-push input line %d: empty ref name in %q; git writes \"<local ref> <local sha> <remote ref> <remote sha>\"", n, line)
		}
		if ref.IsNew() && ref.IsDelete() {
			return nil, fmt.Errorf("parsing pre-push input line %d: both object names are zero in %q: nothing is pushed and nothing deleted", n, line)
		}
		refs = append(refs, ref)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading pre-push input: %w", err)
	}
	return refs, nil
}

// PushedRefsFromEnv returns the ref the pre-commit framework describes in
// its PRE_COMMIT_* environment variables when it runs a pre-push hook (the
// framework consumes git's standard input and passes on at most one ref).
// ok is false when those variables are not set. RemoteSHA is the framework's
// PRE_COMMIT_FROM_REF (a commit the remote has), or zeros when it compares
// all files.
func PushedRefsFromEnv(getenv func(string) string) (refs []PushedRef, remote string, ok bool) {
	to := getenv("PRE_COMMIT_TO_REF")
	remote = getenv("PRE_COMMIT_REMOTE_NAME")
	if to == "" && remote == "" {
		return nil, "", false
	}
	if to == "" { // all-files push: nothing to compare with
		return nil, remote, true
	}
	from := getenv("PRE_COMMIT_FROM_REF")
	if from == "" {
		from = strings.Repeat("0", len(to))
	}
	return []PushedRef{{
		LocalRef:  getenv("PRE_COMMIT_LOCAL_BRANCH"),
		LocalSHA:  to,
		RemoteRef: getenv("PRE_COMMIT_REMOTE_BRANCH"),
		RemoteSHA: from,
	}}, remote, true
}

// ErrDeletedRef is returned by PushBase for a ref the push deletes: there is
// nothing to compare, and callers skip it.
var ErrDeletedRef = errors.New("the push deletes this ref")

// NoBaseError is returned by PushBase when a new ref has no commit to be
// compared with.
type NoBaseError struct {
	Remote string
	Ref    PushedRef
}

func (e *NoBaseError) Error() string {
	return fmt.Sprintf("no base to compare %s with: the remote's default branch is unknown or unrelated; "+
		"run `git fetch %s` and `git remote set-head %s --auto`", e.Ref.RemoteRef, e.Remote, e.Remote)
}

// PushBase returns the commit the pushed ref is compared with: the remote's
// current commit when this clone has it, otherwise (a new branch, or a
// remote commit not fetched yet) the merge-base of the local commit with the
// remote's default branch: refs/remotes/REMOTE/HEAD, else REMOTE/main, else
// REMOTE/master. remote is the hook's first argument. It returns
// ErrDeletedRef for a deletion and a *NoBaseError when no base exists.
func PushBase(ctx context.Context, repoDir, remote string, r PushedRef) (string, error) {
	if r.IsDelete() {
		return "", ErrDeletedRef
	}
	if !r.IsNew() && hasCommit(ctx, repoDir, r.RemoteSHA) {
		return r.RemoteSHA, nil
	}
	candidates := []string{"refs/remotes/" + remote + "/HEAD", "refs/remotes/" + remote + "/main", "refs/remotes/" + remote + "/master"}
	for _, c := range candidates {
		if !hasCommit(ctx, repoDir, c) {
			continue
		}
		out, err := git(ctx, repoDir, nil, "merge-base", r.LocalSHA, c)
		if exitCode(err) == 1 { // unrelated histories
			continue
		}
		if err != nil {
			return "", fmt.Errorf("finding the merge-base of %s and %s: %w", r.LocalSHA, c, err)
		}
		return string(bytes.TrimSpace(out)), nil
	}
	return "", &NoBaseError{Remote: remote, Ref: r}
}

func hasCommit(ctx context.Context, repoDir, rev string) bool {
	if strings.HasPrefix(rev, "-") {
		return false
	}
	_, err := git(ctx, repoDir, nil, "rev-parse", "--verify", "--quiet", "--end-of-options", rev+"^{commit}")
	return err == nil
}
