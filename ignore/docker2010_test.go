package ignore

// The pattern matcher of Docker 20.10 (github.com/docker/docker v20.10.24, pkg/fileutils), which
// both of its builders (the classic one and the BuildKit that dockerd 20.10 embeds) use for
// .dockerignore. It cannot be imported here: this module's graph needs docker/docker v28, which no
// longer has pkg/fileutils. Only the matching logic is kept, test-only, as the second reference the
// escaping fuzz tests compare against; logging is dropped.
//
// Copyright 2013-2018 Docker, Inc. Licensed under the Apache License, Version 2.0
// (https://www.apache.org/licenses/LICENSE-2.0), as is the original.

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"text/scanner"
)

type docker2010Matcher struct {
	patterns   []*docker2010Pattern
	exclusions bool
}

type docker2010Pattern struct {
	cleanedPattern string
	dirs           []string
	regexp         *regexp.Regexp
	exclusion      bool
}

// newDocker2010Matcher is fileutils.NewPatternMatcher.
func newDocker2010Matcher(patterns []string) (*docker2010Matcher, error) {
	pm := &docker2010Matcher{patterns: make([]*docker2010Pattern, 0, len(patterns))}
	for _, p := range patterns {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		p = filepath.Clean(p)
		newp := &docker2010Pattern{}
		if p[0] == '!' {
			if len(p) == 1 {
				return nil, errors.New("illegal exclusion pattern: \"!\"")
			}
			newp.exclusion = true
			p = p[1:]
			pm.exclusions = true
		}
		if _, err := filepath.Match(p, "."); err != nil {
			return nil, err
		}
		newp.cleanedPattern = p
		newp.dirs = strings.Split(p, string(os.PathSeparator))
		pm.patterns = append(pm.patterns, newp)
	}
	return pm, nil
}

// Matches is fileutils.PatternMatcher.Matches: the last pattern that matches file, or the parent
// directory of file with as many elements as the pattern has, decides.
func (pm *docker2010Matcher) Matches(file string) (bool, error) {
	matched := false
	file = filepath.FromSlash(file)
	parentPath := filepath.Dir(file)
	parentPathDirs := strings.Split(parentPath, string(os.PathSeparator))
	for _, pattern := range pm.patterns {
		negative := pattern.exclusion
		match, err := pattern.match(file)
		if err != nil {
			return false, err
		}
		if !match && parentPath != "." {
			if len(pattern.dirs) <= len(parentPathDirs) {
				match, _ = pattern.match(strings.Join(parentPathDirs[:len(pattern.dirs)], string(os.PathSeparator)))
			}
		}
		if match {
			matched = !negative
		}
	}
	return matched, nil
}

func (p *docker2010Pattern) match(path string) (bool, error) {
	if p.regexp == nil {
		if err := p.compile(); err != nil {
			return false, filepath.ErrBadPattern
		}
	}
	return p.regexp.MatchString(path), nil
}

func (p *docker2010Pattern) compile() error {
	regStr := "^"
	pattern := p.cleanedPattern
	var scan scanner.Scanner
	scan.Init(strings.NewReader(pattern))
	scan.Error = func(*scanner.Scanner, string) {} // the original prints to stderr
	sl := string(os.PathSeparator)
	escSL := sl
	if sl == `\` {
		escSL += `\`
	}
	for scan.Peek() != scanner.EOF {
		ch := scan.Next()
		if ch == '*' {
			if scan.Peek() == '*' {
				scan.Next()
				if string(scan.Peek()) == sl {
					scan.Next()
				}
				if scan.Peek() == scanner.EOF {
					regStr += ".*"
				} else {
					regStr += "(.*" + escSL + ")?"
				}
			} else {
				regStr += "[^" + escSL + "]*"
			}
		} else if ch == '?' {
			regStr += "[^" + escSL + "]"
		} else if ch == '.' || ch == '$' {
			regStr += `\` + string(ch)
		} else if ch == '\\' {
			if sl == `\` {
				regStr += escSL
				continue
			}
			if scan.Peek() != scanner.EOF {
				regStr += `\` + string(scan.Next())
			} else {
				regStr += `\`
			}
		} else {
			regStr += string(ch)
		}
	}
	regStr += "$"
	re, err := regexp.Compile(regStr)
	if err != nil {
		return err
	}
	p.regexp = re
	return nil
}
