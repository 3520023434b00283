package graph

import "testing"

func TestGoBuildArgsFileArguments(t *testing.T) {
	tests := []struct {
		cmd, out, pkg string
		ok            bool
	}{
		{"go build -o x ./cmd/x", "x", "./cmd/x", true},
		// A file argument stands for its package's directory (an over-selection: go builds just
		// the files named).
		{"go build -o x ./tools/gen/main.go", "x", "./tools/gen", true},
		{"go build -o x tools/gen/main.go tools/gen/flags.go", "x", "./tools/gen", true},
		{"go build -o x main.go", "x", ".", true},
		{"go build -o x a/main.go b/main.go", "", "", false}, // two directories
		{"go build -o x ./a ./b", "", "", false},
		// A make variable's unknown whole value (flags, as $(BUILD_TAG_FLAG) is) is no package;
		// alone, it may be the package.
		{"go build * -o temporal-server ./cmd/server", "temporal-server", "./cmd/server", true},
		{"go build -o x *", "", "", false},
	}
	for _, tt := range tests {
		out, pkg, _, ok := goBuildArgs(splitWords(tt.cmd))
		if ok != tt.ok || out != tt.out || pkg != tt.pkg {
			t.Errorf("goBuildArgs(%q) = %q, %q, %v; want %q, %q, %v", tt.cmd, out, pkg, ok, tt.out, tt.pkg, tt.ok)
		}
	}
}

func splitWords(s string) []string {
	var out []string
	word := ""
	for _, r := range s + " " {
		if r == ' ' {
			if word != "" {
				out = append(out, word)
			}
			word = ""
			continue
		}
		word += string(r)
	}
	return out
}
