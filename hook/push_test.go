package hook_test

import (
	"strings"
	"testing"

	"github.com/monoctx/monoctx/hook"
)

const (
	sha1a = "1111111111111111111111111111111111111111"
	sha1b = "2222222222222222222222222222222222222222"
	zero1 = "0000000000000000000000000000000000000000"
)

func TestParsePrePush(t *testing.T) {
	t.Parallel()
	sha256 := strings.Repeat("ab", 32)
	tests := []struct {
		name    string
		in      string
		want    []hook.PushedRef
		wantErr string
	}{
		{name: "nothing to push", in: ""},
		{
			name: "update",
			in:   "refs/heads/main " + sha1a + " refs/heads/main " + sha1b + "\n",
			want: []hook.PushedRef{{"refs/heads/main", sha1a, "refs/heads/main", sha1b}},
		},
		{
			name: "new branch and delete, blank lines and CRLF tolerated",
			in:   "refs/heads/f " + sha1a + " refs/heads/f " + zero1 + "\r\n\n(delete) " + zero1 + " refs/heads/old " + sha1b,
			want: []hook.PushedRef{
				{"refs/heads/f", sha1a, "refs/heads/f", zero1},
				{"(delete)", zero1, "refs/heads/old", sha1b},
			},
		},
		{
			name: "sha-256 repository",
			in:   "HEAD " + sha256 + " refs/heads/x " + strings.Repeat("0", 64) + "\n",
			want: []hook.PushedRef{{"HEAD", sha256, "refs/heads/x", strings.Repeat("0", 64)}},
		},
		{name: "three fields", in: "\nrefs/heads/main " + sha1a + " refs/heads/main\n", wantErr: "line 2: want 4 space-separated fields, got 3"},
		{name: "short object name", in: "refs/heads/main abc refs/heads/main " + sha1a + "\n", wantErr: `line 1: "abc" is not an object name`},
		{name: "empty ref names", in: " " + zero1 + "  " + zero1 + "\n", wantErr: `line 1: empty ref name in " ` + zero1},
		{name: "empty remote ref", in: "refs/heads/main " + sha1a + "  " + sha1b + "\n", wantErr: "line 1: empty ref name"},
		{name: "all zero", in: "a " + zero1 + " b " + zero1, wantErr: "line 1: both object names are zero"},
		{name: "upper-case hex", in: "a " + strings.ToUpper(sha256[:40]) + " b " + sha1a, wantErr: "is not an object name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := hook.ParsePrePush(strings.NewReader(tc.in))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("ref %d = %+v, want %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

func TestPushedRefKinds(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		ref             hook.PushedRef
		isNew, isDelete bool
	}{
		{hook.PushedRef{"refs/heads/a", sha1a, "refs/heads/a", sha1b}, false, false},
		{hook.PushedRef{"refs/heads/a", sha1a, "refs/heads/a", zero1}, true, false},
		{hook.PushedRef{"(delete)", zero1, "refs/heads/a", sha1b}, false, true},
	} {
		if tc.ref.IsNew() != tc.isNew || tc.ref.IsDelete() != tc.isDelete {
			t.Errorf("%+v: IsNew, IsDelete = %v, %v; want %v, %v", tc.ref, tc.ref.IsNew(), tc.ref.IsDelete(), tc.isNew, tc.isDelete)
		}
	}
}

func TestPushedRefsFromEnvReadsThePreCommitFramework(t *testing.T) {
	t.Parallel()
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	if _, _, ok := hook.PushedRefsFromEnv(env(nil)); ok {
		t.Error("ok without PRE_COMMIT_* variables")
	}
	refs, remote, ok := hook.PushedRefsFromEnv(env(map[string]string{
		"PRE_COMMIT_FROM_REF":      sha1b,
		"PRE_COMMIT_TO_REF":        sha1a,
		"PRE_COMMIT_LOCAL_BRANCH":  "refs/heads/f",
		"PRE_COMMIT_REMOTE_BRANCH": "refs/heads/f",
		"PRE_COMMIT_REMOTE_NAME":   "origin",
	}))
	want := hook.PushedRef{"refs/heads/f", sha1a, "refs/heads/f", sha1b}
	if !ok || remote != "origin" || len(refs) != 1 || refs[0] != want {
		t.Errorf("got %+v, %q, %v; want %+v from origin", refs, remote, ok, want)
	}
	refs, _, ok = hook.PushedRefsFromEnv(env(map[string]string{"PRE_COMMIT_TO_REF": sha1a, "PRE_COMMIT_REMOTE_NAME": "origin"}))
	if !ok || len(refs) != 1 || !refs[0].IsNew() {
		t.Errorf("all-files push = %+v, %v; want one new ref", refs, ok)
	}
}

func FuzzParsePrePush(f *testing.F) {
	f.Add("refs/heads/main " + sha1a + " refs/heads/main " + sha1b + "\n")
	f.Add("(delete) " + zero1 + " refs/heads/old " + sha1b)
	f.Fuzz(func(t *testing.T, in string) {
		refs, err := hook.ParsePrePush(strings.NewReader(in))
		if err != nil {
			return
		}
		for _, r := range refs {
			if r.IsNew() && r.IsDelete() {
				t.Errorf("%+v is both new and deleted", r)
			}
			if strings.Contains(r.LocalRef+r.RemoteRef, " ") {
				t.Errorf("%+v: a ref name holds a space", r)
			}
			if r.LocalRef == "" || r.RemoteRef == "" {
				t.Errorf("%+v: an empty ref name", r)
			}
		}
	})
}
