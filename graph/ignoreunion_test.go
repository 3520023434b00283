package graph

import (
	"context"
	"reflect"
	"testing"
)

func TestIgnoreKeepIsTheUnionOfEveryBuildOfTheDockerfile(t *testing.T) {
	df := "FROM scratch AS release\nARG ARCH=amd64\nCOPY bin/x-linux-${ARCH} /x\n\nFROM scratch AS debug\nCOPY debug/ /debug/\n\nFROM scratch AS test\nCOPY testdata/ /t/\n"
	files := map[string]string{
		"svc/Dockerfile": df, "svc/bin/x-linux-amd64": "x", "svc/debug/d": "d", "svc/testdata/t": "t", "svc/other.txt": "o",
	}
	for _, tc := range []struct {
		name   string
		config string
		apps   []string
		want   []string
	}{
		// Found by the tree walk: the target is unknown, so every stage counts, and ARCH is any
		// architecture (bin/x-linux-* keeps bin).
		{"unknown target", "", []string{"svc"}, []string{"bin", "debug", "testdata"}},
		// Declared builds: their targets only, ARCH still every value.
		{"declared targets", "services:\n  rel:\n    build: {context: svc, target: release}\n  dbg:\n    build: {context: svc, target: debug}\n",
			[]string{"dbg", "rel"}, []string{"bin", "bin/x-linux-amd64", "debug"}},
		{"one declared target", "services:\n  rel:\n    build: {context: svc, target: release}\n",
			[]string{"rel"}, []string{"bin", "bin/x-linux-amd64"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := map[string]string{}
			for k, v := range files {
				fs[k] = v
			}
			if tc.config != "" {
				fs["compose.yaml"] = tc.config
			}
			g := mustLoad(t, newTree(t, fs))
			var apps []*App
			for _, n := range tc.apps {
				apps = append(apps, mustApp(t, g, n))
			}
			got, err := g.IgnoreKeep(context.Background(), apps)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("IgnoreKeep = %q, want %q", got, tc.want)
			}
		})
	}
}
