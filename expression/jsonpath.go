package expression

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/ohler55/ojg/jp"
)

// JSONPath (RFC 9535) runs on github.com/ohler55/ojg/jp. This file adds
// what Arazzo needs on top: the query must start at '$', a root filter
// "$[?…]" is also applied to the context value itself (so the spec's own
// example passes on {"pets": […]}), value() is accepted, and the
// "path == literal" form of published documents is evaluated as a
// comparison.

// JSONPath versions of the Expression Type Object.
const (
	JSONPathRFC9535  = "rfc9535"
	JSONPathGoessner = "draft-goessner-dispatch-jsonpath-00"
)

type jsonPathQuery struct {
	text       string
	x          jp.Expr
	rootFilter bool // the first segment is a filter: also test the root itself
	// The comparison form "$.a.b == 'x'": path, operator and literal.
	cmpOp  string
	cmpLit any
}

// parseJSONPath compiles a JSONPath query; comparison enables the
// "path OP literal" form (criteria only), reported with a warning.
func parseJSONPath(text string, opts Options, comparison bool) (*jsonPathQuery, []Warning, error) {
	q := strings.TrimSpace(text)
	if q == "" || q[0] != '$' {
		return nil, nil, &SyntaxError{Input: text, Column: 1, Msg: "a JSONPath query starts with '$' (for example $.items[*] or $[?@.id == 1])"}
	}
	x, err := compileJP(q)
	if err == nil {
		return &jsonPathQuery{text: q, x: x, rootFilter: startsWithFilter(x)}, nil, nil
	}
	if comparison {
		if cq, warns, cerr := parseJSONPathComparison(q, opts); cerr == nil && cq != nil {
			return cq, warns, nil
		} else if cerr != nil {
			return nil, warns, cerr
		}
	}
	return nil, nil, jsonPathError(text, err)
}

// compileJP parses with ojg, which panics on some malformed input despite
// its own recovery; every panic becomes an error.
func compileJP(q string) (x jp.Expr, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("invalid JSONPath: %v", r)
		}
	}()
	return jp.ParseString(rewriteValueFunc(q))
}

var jpErrPos = regexp.MustCompile(` at (\d+)`)

// jsonPathError turns an ojg error into a positioned SyntaxError.
func jsonPathError(text string, err error) error {
	msg := err.Error()
	col := 1
	if m := jpErrPos.FindStringSubmatch(msg); m != nil {
		if n, e := strconv.Atoi(m[1]); e == nil && n > 0 {
			col = n
		}
		msg = msg[:strings.Index(msg, m[0])]
	}
	if i := strings.Index(msg, " is not a value or function"); i >= 0 {
		msg = "unknown JSONPath function " + strings.Trim(msg[:i], "'") + "(); RFC 9535 defines length(), count(), match(), search() and value()"
	}
	return &SyntaxError{Input: text, Column: col, Msg: "invalid JSONPath: " + msg}
}

// rewriteValueFunc drops RFC 9535's value() wrapper, which ojg lacks: its
// singular queries already compare by value.
func rewriteValueFunc(q string) string {
	if !strings.Contains(q, "value(") {
		return q
	}
	var b strings.Builder
	var quote byte
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case quote != 0:
			if c == '\\' && i+1 < len(q) {
				b.WriteByte(c)
				i++
				c = q[i]
			} else if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case strings.HasPrefix(q[i:], "value(") && (i == 0 || !isAlnum(q[i-1]) && q[i-1] != '_'):
			i += len("value") - 1
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

func startsWithFilter(x jp.Expr) bool {
	if len(x) < 2 {
		return false
	}
	_, ok := x[1].(*jp.Filter)
	return ok
}

// parseJSONPathComparison recognises "$.data[0].status == 'completed'".
func parseJSONPathComparison(q string, opts Options) (*jsonPathQuery, []Warning, error) {
	i, op := topLevelComparison(q)
	if i < 0 {
		return nil, nil, nil
	}
	left, right := strings.TrimSpace(q[:i]), strings.TrimSpace(q[i+len(op):])
	x, err := compileJP(left)
	if err != nil || left == "" || left[0] != '$' {
		return nil, nil, nil
	}
	lit, litText, ok := parseLiteral(right)
	if !ok {
		return nil, nil, nil
	}
	rewrite := "$[?" + left + " " + op + " " + litText + "]"
	if opts.Strict {
		return nil, nil, &SyntaxError{Input: q, Column: column(q, i) + 1,
			Msg: "a JSONPath condition is a query, not a comparison; write " + rewrite}
	}
	w := Warning{Column: column(q, i) + 1, Code: "jsonpath-comparison",
		Message: fmt.Sprintf("%q compares a path with a literal, which is not JSONPath; evaluated as that comparison (strings ignore case). The portable query is %s (its string comparison is case-sensitive)", q, rewrite)}
	return &jsonPathQuery{text: q, x: x, cmpOp: op, cmpLit: lit}, []Warning{w}, nil
}

// topLevelComparison finds a comparison operator outside brackets,
// parentheses and quotes.
func topLevelComparison(q string) (int, string) {
	depth := 0
	var quote byte
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case quote != 0:
			if c == '\\' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '[' || c == '(':
			depth++
		case c == ']' || c == ')':
			depth--
		case depth == 0:
			for _, op := range []string{"==", "!=", "<=", ">=", "<", ">"} {
				if strings.HasPrefix(q[i:], op) {
					return i, op
				}
			}
		}
	}
	return -1, ""
}

// parseLiteral reads a whole-string literal: a number, true, false, null,
// or a single- or double-quoted string. It returns the value and its
// single-quoted JSONPath spelling.
func parseLiteral(s string) (any, string, bool) {
	switch s {
	case "true":
		return true, s, true
	case "false":
		return false, s, true
	case "null":
		return nil, s, true
	}
	if isJSONNumber(s) {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n, s, true
		}
		f, _ := strconv.ParseFloat(s, 64)
		return f, s, true
	}
	if len(s) >= 2 && (s[0] == '\'' || s[0] == '"') && s[len(s)-1] == s[0] {
		p := &condParser{text: s}
		v, err := p.quoted(s[0])
		if err != nil || p.pos != len(s) {
			return nil, "", false
		}
		return v, "'" + strings.ReplaceAll(strings.ReplaceAll(v, `\`, `\\`), "'", `\'`) + "'", true
	}
	return nil, "", false
}

// get returns the query's node list on data. Panics inside ojg become an
// error.
func (q *jsonPathQuery) get(data any) (nodes []any, err error) {
	defer func() {
		if r := recover(); r != nil {
			nodes, err = nil, fmt.Errorf("JSONPath %s failed: %v", q.text, r)
		}
	}()
	if _, isArray := data.([]any); q.rootFilter && !isArray {
		// The filter of "$[?…]" also tests an object context itself:
		// wrapping it in an array makes it the only child.
		nodes = q.x.Get([]any{data})
	}
	return append(nodes, q.x.Get(data)...), nil
}
