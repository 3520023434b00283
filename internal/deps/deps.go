// Package deps pins the project's chosen libraries while the packages that use them are written.
// It is deleted once every dependency has a real importer.
package deps

import (
	_ "github.com/bmatcuk/doublestar/v4"
	_ "github.com/compose-spec/compose-go/v2/loader"
	_ "github.com/go-git/go-git/v5"
	_ "github.com/moby/buildkit/frontend/dockerfile/instructions"
	_ "github.com/moby/buildkit/frontend/dockerfile/parser"
	_ "github.com/moby/buildkit/frontend/dockerfile/shell"
	_ "github.com/moby/patternmatcher"
	_ "github.com/moby/patternmatcher/ignorefile"
	_ "github.com/rogpeppe/go-internal/testscript"
	_ "github.com/schollz/progressbar/v3"
	_ "github.com/spf13/cobra"
	_ "golang.org/x/mod/modfile"
	_ "golang.org/x/sync/errgroup"
	_ "golang.org/x/term"
	_ "gopkg.in/yaml.v3"
)
