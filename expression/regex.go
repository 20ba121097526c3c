package expression

import (
	"regexp"
	"regexp/syntax"
	"strings"
)

// Regex criteria use Go's RE2 syntax: linear time on any input, so a
// document cannot make a pattern backtrack forever. Constructs RE2 lacks
// are named in the error instead of RE2's terse message.

var unsupportedRegex = []struct{ token, name string }{
	{"(?<=", "look-behind (?<=…)"},
	{"(?<!", "negative look-behind (?<!…)"},
	{"(?=", "look-ahead (?=…)"},
	{"(?!", "negative look-ahead (?!…)"},
	{"(?>", "atomic group (?>…)"},
	{`\k<`, `named back-reference \k<…>`},
	{"*+", "possessive quantifier *+"},
	{"++", "possessive quantifier ++"},
	{"?+", "possessive quantifier ?+"},
}

// compileRegex compiles pattern, explaining constructs RE2 cannot run.
func compileRegex(pattern string) (*regexp.Regexp, error) {
	re, err := regexp.Compile(pattern)
	if err == nil {
		return re, nil
	}
	for _, u := range unsupportedRegex {
		if i := strings.Index(pattern, u.token); i >= 0 {
			return nil, &SyntaxError{Input: pattern, Column: column(pattern, i),
				Msg: "regex uses " + u.name + ", which RE2 (Go regexp) does not support; rewrite the pattern without it"}
		}
	}
	for i := 0; i+1 < len(pattern); i++ {
		if pattern[i] == '\\' {
			if c := pattern[i+1]; '1' <= c && c <= '9' {
				return nil, &SyntaxError{Input: pattern, Column: column(pattern, i),
					Msg: "regex uses the back-reference \\" + string(c) + ", which RE2 (Go regexp) does not support; rewrite the pattern without it"}
			}
			i++
		}
	}
	msg := err.Error()
	if se, ok := err.(*syntax.Error); ok {
		msg = se.Code.String() + ": `" + se.Expr + "`"
	}
	col := 1
	if se, ok := err.(*syntax.Error); ok && se.Expr != "" {
		if i := strings.Index(pattern, se.Expr); i >= 0 {
			col = column(pattern, i)
		}
	}
	return nil, &SyntaxError{Input: pattern, Column: col, Msg: "invalid regex (RE2 syntax): " + msg}
}
