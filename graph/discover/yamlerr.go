package discover

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v4"
)

// YAMLError turns an error of go.yaml.in/yaml/v4 (or a message that carries its "line N:") into an
// [*Error] of file at the line where the parser found the problem. data is the file's content: a
// problem found at the end of the input (an unclosed "[", "{" or quote) is reported at the file's
// last line, where the user has to look, not at the line past it.
func YAMLError(file string, data []byte, err error) *Error {
	var le *yaml.LoadError
	if errors.As(err, &le) && le.Mark.Line > 0 {
		if le.Mark.Line > lastLine(data) && le.ContextMark.Line > 0 && le.ContextMark.Line <= lastLine(data) {
			// "while scanning a quoted scalar": where the unclosed thing starts.
			what := le.ContextMsg
			for _, p := range []string{"while parsing ", "while scanning "} {
				what = strings.TrimPrefix(what, p)
			}
			return &Error{File: file, Line: le.ContextMark.Line, Err: err,
				Msg: fmt.Sprintf("%s at the end of the file: the %s that starts here is not closed; close it", le.Message, strings.TrimPrefix(what, "a "))}
		}
		line, msg := atEnd(data, le.Mark.Line, le.Message)
		return &Error{File: file, Line: line, Msg: withFix(msg, lineText(data, line)), Err: err}
	}
	msg := err.Error()
	// A wrapped message ("failed to parse /abs/compose.yaml: yaml: line 3: …"): the last position
	// is where the problem is.
	if all := yamlLineRE.FindAllStringSubmatchIndex(msg, -1); len(all) > 0 {
		m := all[len(all)-1]
		line, _ := strconv.Atoi(msg[m[2]:m[3]])
		line, rest := atEnd(data, line, msg[m[1]:])
		return &Error{File: file, Line: line, Msg: withFix(rest, lineText(data, line)), Err: err}
	}
	return &Error{File: file, Msg: strings.TrimPrefix(msg, "yaml: "), Err: err}
}

var yamlLineRE = regexp.MustCompile(`line (\d+)(?:, column \d+)?: `)

// atEnd moves a line past the last line of data (the parser reached the end of the input) back to
// the last line that is not blank, and says so.
func atEnd(data []byte, line int, msg string) (int, string) {
	if data == nil || line <= lastLine(data) {
		return line, msg
	}
	return max(lastLine(data), 1), msg + " at the end of the file"
}

// lastLine is the number of the last line of data that is not blank.
func lastLine(data []byte) int {
	return len(bytes.Split(bytes.TrimRight(data, " \t\r\n"), []byte("\n")))
}

// yamlSyntaxError is YAMLError for a file that gopkg.in/yaml.v3 rejected: its syntax errors name
// the line where the enclosing block starts, or none on the first line, so the file is parsed again
// with v4 to place the error.
func yamlSyntaxError(file string, data []byte, err error) *Error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var n yaml.Node
		e := dec.Decode(&n)
		if errors.Is(e, io.EOF) {
			break
		}
		if e != nil {
			return YAMLError(file, data, e)
		}
	}
	return YAMLError(file, data, err)
}

// yamlFixes say what to do about the parser's commonest complaints.
var yamlFixes = []struct{ problem, fix string }{
	{"did not find expected key", "indent this line as far as the keys of the mapping it belongs to"},
	{"did not find expected '-' indicator", "indent this line as far as the list items it belongs to"},
	{"mapping values are not allowed in this context", `quote a value that holds ": ", or put the key on a line of its own`},
	{"did not find expected ',' or ']'", "close the [ before it, or separate its items with commas"},
	{"did not find expected ',' or '}'", "close the { before it, or separate its items with commas"},
	{"could not find expected ':'", `add the ":" after the key, or quote the value`},
}

var yamlTypeRE = regexp.MustCompile("cannot (?:construct|unmarshal) !!(\\w+)(?: `([^`]*)`)? into (\\S+)")

// plainTypes says a YAML kind and a Go type in a user's words: "a list where a string is wanted",
// not "!!seq into string".
func plainTypes(msg string) string {
	return yamlTypeRE.ReplaceAllStringFunc(msg, func(m string) string {
		sub := yamlTypeRE.FindStringSubmatch(m)
		have := map[string]string{"seq": "a list", "map": "a mapping", "str": "the string", "int": "the number",
			"float": "the number", "bool": "the boolean", "null": "an empty value"}[sub[1]]
		if have == "" {
			have = "a value"
		}
		if sub[2] != "" {
			have += fmt.Sprintf(" %q", sub[2])
		}
		want := "a mapping"
		switch t := strings.TrimPrefix(sub[3], "*"); {
		case t == "string":
			want = "a string"
		case t == "bool":
			want = "a boolean (true or false)"
		case strings.HasPrefix(t, "int") || strings.HasPrefix(t, "uint") || strings.HasPrefix(t, "float"):
			want = "a number"
		case strings.HasPrefix(t, "[]"):
			want = "a list"
		}
		return have + " where " + want + " is wanted"
	})
}

// withFix adds what to do to a parser message; text is the line it is about.
func withFix(msg, text string) string {
	msg = plainTypes(msg)
	if strings.Contains(msg, "found character that cannot start any token") && strings.HasPrefix(strings.TrimLeft(text, " "), "\t") {
		return msg + ": a tab; indent with spaces (YAML does not allow tabs there)"
	}
	for _, f := range yamlFixes {
		if strings.HasPrefix(msg, f.problem) && !strings.Contains(msg, "; ") {
			return msg + "; " + f.fix
		}
	}
	return msg
}

// lineText returns line n (1-based) of data, or "".
func lineText(data []byte, n int) string {
	lines := strings.Split(string(data), "\n")
	if n < 1 || n > len(lines) {
		return ""
	}
	return lines[n-1]
}
