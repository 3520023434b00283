package graph

import (
	"reflect"
	"strings"
	"testing"
)

// sourcePaths returns the Path of every source, in order.
func sourcePaths(info *dockerfileInfo) []string {
	out := []string{}
	for _, s := range info.Sources {
		out = append(out, s.Path)
	}
	return out
}

func TestAnalyzeDockerfileSources(t *testing.T) {
	tests := []struct {
		name   string
		df     string
		args   map[string]string
		target string
		want   []string // source paths, in line order
		whole  int      // line of the whole-context source; 0 for none
	}{
		{
			name: "plain COPY and ADD",
			df:   "FROM scratch\nCOPY a /a\nADD b/c.tar /c\n",
			want: []string{"a", "b/c.tar"},
		},
		{
			name: "several sources in one COPY",
			df:   "FROM scratch\nCOPY a b/ ./c /dst/\n",
			want: []string{"a", "b", "c"},
		},
		{
			name: "line continuation joins the instruction",
			df:   "FROM scratch\nCOPY \\\n  apps/web \\\n  /w\nCOPY libs/ui /ui\n",
			want: []string{"apps/web", "libs/ui"},
		},
		{
			name: "COPY heredoc is not a context source",
			df:   "FROM scratch\nCOPY <<EOF /x\nhello\nEOF\nCOPY real /r\n",
			want: []string{"real"},
		},
		{
			name: "RUN heredoc reads nothing from the context",
			df:   "FROM alpine\nRUN <<EOF\necho hi\nEOF\nCOPY after /a\n",
			want: []string{"after"},
		},
		{
			name: "JSON-form COPY keeps spaces",
			df:   "FROM scratch\nCOPY [\"a b\", \"/dst\"]\n",
			want: []string{"a b"},
		},
		{
			name: "stage ARG default expands",
			df:   "FROM scratch\nARG APP=web\nCOPY apps/${APP} /app\n",
			want: []string{"apps/web"},
		},
		{
			name: "build arg overrides the default",
			df:   "FROM scratch\nARG APP=web\nCOPY apps/$APP /app\n",
			args: map[string]string{"APP": "admin"},
			want: []string{"apps/admin"},
		},
		{
			name: "global ARG redeclared in the stage takes the global default",
			df:   "ARG APP=web\nFROM scratch\nARG APP\nCOPY apps/${APP} /app\n",
			want: []string{"apps/web"},
		},
		{
			name: "global ARG redeclared in the stage takes the build arg",
			df:   "ARG APP=web\nFROM scratch\nARG APP\nCOPY apps/${APP} /app\n",
			args: map[string]string{"APP": "api"},
			want: []string{"apps/api"},
		},
		{
			name: "global ARG not redeclared is empty in the stage",
			df:   "ARG APP=web\nFROM scratch\nCOPY apps/${APP}/x /app\n",
			want: []string{"apps/x"},
		},
		{
			name: "default with ${VAR:-fallback}",
			df:   "FROM scratch\nARG DIR\nCOPY ${DIR:-libs}/ui /ui\n",
			want: []string{"libs/ui"},
		},
		{
			name: "ENV inherited from a base stage",
			df:   "FROM alpine AS base\nENV SRC=libs/auth\nFROM base AS build\nCOPY ${SRC} /src\n",
			want: []string{"libs/auth"},
		},
		{
			name: "ENV set from an ARG",
			df:   "FROM scratch\nARG APP=web\nENV DIR=apps/$APP\nCOPY $DIR/package.json /p\n",
			want: []string{"apps/web/package.json"},
		},
		{
			name: "escape directive makes backtick the continuation",
			df:   "# escape=`\nFROM scratch\nCOPY `\n  win\\path `\n  /dst\n",
			want: []string{"win\\path"},
		},
		{
			name: "unreachable stage is not counted",
			df:   "FROM scratch AS test\nCOPY testdata /t\nFROM scratch AS runtime\nCOPY src /s\n",
			want: []string{"src"},
		},
		{
			name: "COPY --from a stage pulls that stage in",
			df:   "FROM alpine AS build\nCOPY src /src\nFROM alpine AS unused\nCOPY other /o\nFROM scratch\nCOPY --from=build /src /app\nCOPY conf /conf\n",
			want: []string{"src", "conf"},
		},
		{
			name: "COPY --from a stage index pulls that stage in",
			df:   "FROM alpine\nCOPY src /src\nFROM scratch\nCOPY --from=0 /src /app\n",
			want: []string{"src"},
		},
		{
			name: "FROM a stage pulls it in",
			df:   "FROM alpine AS base\nCOPY base.txt /b\nFROM base\nCOPY top.txt /t\n",
			want: []string{"base.txt", "top.txt"},
		},
		{
			name:   "target picks the stage",
			df:     "FROM scratch AS test\nCOPY testdata /t\nFROM scratch AS runtime\nCOPY src /s\n",
			target: "test",
			want:   []string{"testdata"},
		},
		{
			name:   "target is case-insensitive",
			df:     "FROM scratch AS Test\nCOPY testdata /t\nFROM scratch\nCOPY src /s\n",
			target: "TEST",
			want:   []string{"testdata"},
		},
		{
			name: "RUN --mount from a stage pulls it in",
			df:   "FROM alpine AS deps\nCOPY go.sum /g\nFROM alpine\nRUN --mount=type=bind,from=deps,target=/d true\n",
			want: []string{"go.sum"},
		},
		{
			name: "COPY --from an image is not the context",
			df:   "FROM scratch\nCOPY --from=alpine /x /y\n",
			want: []string{},
		},
		{
			name:   "COPY --from a later stage is an image, not a stage",
			df:     "FROM scratch AS first\nCOPY --from=later /x /y\nFROM scratch AS later\nCOPY never /n\n",
			target: "first",
			want:   []string{},
		},
		{
			name: "ADD of an https URL is skipped",
			df:   "FROM scratch\nADD https://example.com/a.tgz /a\nADD local.tgz /l\n",
			want: []string{"local.tgz"},
		},
		{
			name: "ADD of a git URL is skipped",
			df:   "FROM scratch\nADD git@github.com:moby/buildkit.git /b\n",
			want: []string{},
		},
		{
			name:  "COPY . . is the whole context",
			df:    "FROM scratch\nCOPY . .\n",
			want:  []string{"."},
			whole: 2,
		},
		{
			name:  "COPY ./ /x is the whole context",
			df:    "FROM scratch\nWORKDIR /x\nCOPY ./ /x\n",
			want:  []string{"."},
			whole: 3,
		},
		{
			name:  "bind mount without a source is the whole context",
			df:    "FROM alpine\nRUN --mount=type=bind,target=/src make\n",
			want:  []string{"."},
			whole: 2,
		},
		{
			name:  "tmpfs mount is the whole context",
			df:    "FROM alpine\nCOPY a /a\nRUN --mount=type=tmpfs,target=/tmp true\n",
			want:  []string{"a"},
			whole: 3,
		},
		{
			name: "bind mount with a source reads that source",
			df:   "FROM alpine\nRUN --mount=type=bind,source=apps/web,target=/w make\n",
			want: []string{"apps/web"},
		},
		{
			name: "bind mount source expands ARGs",
			df:   "FROM alpine\nARG APP=web\nRUN --mount=type=bind,source=apps/${APP},target=/w make\n",
			want: []string{"apps/web"},
		},
		{
			name: "cache, secret and ssh mounts read nothing",
			df: "FROM alpine\nRUN --mount=type=cache,target=/root/.cache true\n" +
				"RUN --mount=type=secret,id=npm,target=/s true\nRUN --mount=type=ssh true\n",
			want: []string{},
		},
		{
			name: "COPY --parents keeps the path below the ./ pivot as one source",
			df:   "# syntax=docker/dockerfile:1.7-labs\nFROM scratch\nCOPY --parents a/./b/c /x\n",
			want: []string{"a/b/c"},
		},
		{
			name: "platform ARG becomes a wildcard",
			df:   "FROM scratch\nARG TARGETARCH\nCOPY bin/${TARGETARCH}/app /app\n",
			want: []string{"bin/*/app"},
		},
		{
			name: "platform ARG from a build arg is that value",
			df:   "FROM scratch\nARG TARGETARCH\nCOPY bin/${TARGETARCH}/app /app\n",
			args: map[string]string{"TARGETARCH": "arm64"},
			want: []string{"bin/arm64/app"},
		},
		{
			name: "ARG declared in a base stage is seen by a stage built on it",
			df:   "FROM alpine AS base\nARG APP=web\nFROM base\nCOPY apps/${APP} /a\n",
			want: []string{"apps/web"},
		},
		{
			name: "FROM names a stage through a global ARG",
			df:   "ARG BASE=build\nFROM alpine AS build\nCOPY src /s\nFROM ${BASE}\nCOPY top /t\n",
			want: []string{"src", "top"},
		},
		{
			name:   "an unreachable stage's escaping source is no error",
			df:     "FROM scratch AS bad\nCOPY ../x /x\nFROM scratch AS good\nCOPY ok /ok\n",
			target: "good",
			want:   []string{"ok"},
		},
		{
			name: "absolute source is relative to the context",
			df:   "FROM scratch\nCOPY /etc/conf /c\n",
			want: []string{"etc/conf"},
		},
		{
			name: "climbing that stays inside is fine",
			df:   "FROM scratch\nCOPY a/../b /b\n",
			want: []string{"b"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, err := analyzeDockerfile("Dockerfile", []byte(tt.df), tt.args, tt.target)
			if err != nil {
				t.Fatalf("analyzeDockerfile: %v", err)
			}
			if got := sourcePaths(info); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("sources: got %q, want %q", got, tt.want)
			}
			switch {
			case tt.whole == 0 && info.Whole != nil:
				t.Errorf("Whole: got line %d (%q), want none", info.Whole.Line, info.Whole.Text)
			case tt.whole != 0 && info.Whole == nil:
				t.Errorf("Whole: got none, want line %d", tt.whole)
			case tt.whole != 0 && info.Whole.Line != tt.whole:
				t.Errorf("Whole: got line %d, want %d", info.Whole.Line, tt.whole)
			}
		})
	}
}

func TestAnalyzeDockerfileRecordsLineTextKindAndExclude(t *testing.T) {
	df := "FROM alpine\n" +
		"COPY --exclude=*.md apps/web /w\n" +
		"ADD \\\n   local.tgz    /l\n" +
		"RUN --mount=type=bind,source=libs/ui,target=/ui make\n"
	info, err := analyzeDockerfile("apps/web/Dockerfile", []byte(df), nil, "")
	if err != nil {
		t.Fatal(err)
	}
	want := []Source{
		{Path: "apps/web", Line: 2, Kind: "copy", Exclude: []string{"*.md"}},
		{Path: "local.tgz", Line: 3, Kind: "add"},
		{Path: "libs/ui", Line: 5, Kind: "mount"},
	}
	if len(info.Sources) != len(want) {
		t.Fatalf("got %d sources %q, want %d", len(info.Sources), sourcePaths(info), len(want))
	}
	for i, w := range want {
		g := info.Sources[i]
		if g.Path != w.Path || g.Line != w.Line || g.Kind != w.Kind || !reflect.DeepEqual(g.Exclude, w.Exclude) {
			t.Errorf("source %d: got {%q line %d %q exclude %q}, want {%q line %d %q exclude %q}",
				i, g.Path, g.Line, g.Kind, g.Exclude, w.Path, w.Line, w.Kind, w.Exclude)
		}
		if strings.Contains(g.Text, "\n") || strings.Contains(g.Text, "  ") {
			t.Errorf("source %d: Text %q is not on one line with single spaces", i, g.Text)
		}
	}
	if !strings.Contains(info.Sources[1].Text, "local.tgz /l") {
		t.Errorf("ADD text: got %q, want it to hold %q", info.Sources[1].Text, "local.tgz /l")
	}
}

func TestAnalyzeDockerfileErrors(t *testing.T) {
	tests := []struct {
		name     string
		df       string
		target   string
		wantLine int
		wantMsg  string // substring of the message
	}{
		{
			name:     "COPY source leaves the build context",
			df:       "FROM scratch\nCOPY a /a\nCOPY ../x /y\n",
			wantLine: 3,
			wantMsg:  `COPY source "../x" leaves the build context`,
		},
		{
			name:     "ADD source leaves through an ARG",
			df:       "FROM scratch\nARG UP=..\nADD ${UP}/secret /s\n",
			wantLine: 3,
			wantMsg:  "leaves the build context",
		},
		{
			name:     "bind mount source leaves the build context",
			df:       "FROM alpine\n\nRUN --mount=type=bind,source=../lib,target=/l true\n",
			wantLine: 3,
			wantMsg:  `RUN --MOUNT source "../lib" leaves the build context`,
		},
		{
			name:     "unknown instruction",
			df:       "FROM scratch\nCOPY a /a\nFROBNICATE now\n",
			wantLine: 3,
			wantMsg:  "unknown instruction",
		},
		{
			name:     "unclosed variable",
			df:       "FROM scratch\nCOPY ${X /a/\n",
			wantLine: 2,
			wantMsg:  `COPY source "${X": a ${ is not closed; add the missing "}"`,
		},
		{
			name:     "instruction before FROM",
			df:       "# comment\nCOPY a /a\nFROM scratch\n",
			wantLine: 2,
			wantMsg:  "COPY before the first FROM",
		},
		{
			name:    "no FROM at all",
			df:      "ARG X=1\n",
			wantMsg: "no FROM instruction",
		},
		{
			name:     "unknown flag",
			df:       "FROM scratch\n\n\nCOPY --bogus=1 a /a\n",
			wantLine: 4,
			wantMsg:  "bogus",
		},
		{
			name:     "unknown flag after a continuation",
			df:       "FROM scratch\nRUN echo \\\n  hi\nCOPY --chmod=644 --nope a /a\n",
			wantLine: 4,
			wantMsg:  "nope",
		},
		{
			name:    "missing target stage",
			df:      "FROM scratch AS a\nCOPY x /x\n",
			target:  "b",
			wantMsg: `target stage "b" not found`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := analyzeDockerfile("services/api/Dockerfile", []byte(tt.df), nil, tt.target)
			if err == nil {
				t.Fatal("got no error")
			}
			pe := asParseError(t, err)
			if pe.File != "services/api/Dockerfile" {
				t.Errorf("File: got %q, want %q", pe.File, "services/api/Dockerfile")
			}
			if pe.Line != tt.wantLine {
				t.Errorf("Line: got %d, want %d (%v)", pe.Line, tt.wantLine, err)
			}
			if !strings.Contains(pe.Msg, tt.wantMsg) {
				t.Errorf("Msg: got %q, want it to contain %q", pe.Msg, tt.wantMsg)
			}
			if tt.wantLine > 0 {
				prefix := "services/api/Dockerfile:" + itoa(tt.wantLine) + ": "
				if !strings.HasPrefix(err.Error(), prefix) {
					t.Errorf("Error(): got %q, want prefix %q", err.Error(), prefix)
				}
				if strings.Contains(pe.Msg, "line "+itoa(tt.wantLine)) {
					t.Errorf("Msg repeats the line: %q", pe.Msg)
				}
			}
		})
	}
}

func itoa(n int) string {
	const digits = "0123456789"
	if n < 10 {
		return digits[n : n+1]
	}
	return itoa(n/10) + digits[n%10:n%10+1]
}

func TestAnalyzeDockerfileWholeKeepsTheFirstLine(t *testing.T) {
	df := "FROM alpine AS build\nRUN --mount=type=tmpfs,target=/t true\nFROM build\nCOPY . /app\n"
	info, err := analyzeDockerfile("Dockerfile", []byte(df), nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if info.Whole == nil {
		t.Fatal("Whole: got none, want line 2")
	}
	if info.Whole.Line != 2 || info.Whole.Kind != "mount" {
		t.Errorf("Whole: got line %d kind %q, want line 2 kind %q", info.Whole.Line, info.Whole.Kind, "mount")
	}
}
