package expression

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// The match() and search() functions of RFC 9535 take I-Regexp patterns
// (RFC 9485), a small interoperable subset of XML Schema regular
// expressions. translateIRegexp checks a pattern against the I-Regexp ABNF
// and writes the equivalent RE2 syntax: the two differ only in '.', which
// in I-Regexp matches any character except line feed and carriage return
// (RE2's '.' excludes only line feed). A pattern that is not an I-Regexp
// makes the function false, as the RFC says; it is not an error.
//
// '^' and '$' are read as anchors, as the JSONPath Compliance Test Suite
// and the regexp engines of most implementations do.

// iregexp is a compiled I-Regexp; re is nil when the pattern is not a
// valid I-Regexp, and then nothing matches.
type iregexp struct{ re *regexp.Regexp }

// compileIRegexp compiles pattern for match() (full, anchored at both
// ends) or search() (anywhere in the string).
func compileIRegexp(pattern string, full bool) *iregexp {
	t, ok := translateIRegexp(pattern)
	if !ok {
		return &iregexp{}
	}
	if full {
		t = `^(?:` + t + `)$`
	}
	re, err := regexp.Compile(t)
	if err != nil {
		// Valid I-Regexp that RE2 still refuses, such as a repeat count
		// over 1000: treated like an invalid pattern.
		return &iregexp{}
	}
	return &iregexp{re: re}
}

func (r *iregexp) matches(s string) bool { return r.re != nil && r.re.MatchString(s) }

type irParser struct {
	src string
	pos int
	out strings.Builder
}

// translateIRegexp returns the RE2 form of an I-Regexp, or ok=false.
func translateIRegexp(pattern string) (string, bool) {
	if !utf8.ValidString(pattern) {
		return "", false
	}
	p := &irParser{src: pattern}
	if !p.regexp() || p.pos != len(p.src) {
		return "", false
	}
	return p.out.String(), true
}

func (p *irParser) peek() byte {
	if p.pos < len(p.src) {
		return p.src[p.pos]
	}
	return 0
}

// regexp reads i-regexp = branch *( "|" branch ).
func (p *irParser) regexp() bool {
	if !p.branch() {
		return false
	}
	for p.peek() == '|' {
		p.pos++
		p.out.WriteByte('|')
		if !p.branch() {
			return false
		}
	}
	return true
}

// branch reads *piece.
func (p *irParser) branch() bool {
	for p.pos < len(p.src) && p.peek() != '|' && p.peek() != ')' {
		if !p.atom() || !p.quantifier() {
			return false
		}
	}
	return true
}

// quantifier reads the optional ( "*" / "+" / "?" ) / range-quantifier.
func (p *irParser) quantifier() bool {
	switch p.peek() {
	case '*', '+', '?':
		p.out.WriteByte(p.src[p.pos])
		p.pos++
	case '{':
		start := p.pos
		p.pos++
		if !p.digits() {
			return false
		}
		if p.peek() == ',' {
			p.pos++
			for isDigit(p.peek()) {
				p.pos++
			}
		}
		if p.peek() != '}' {
			return false
		}
		p.pos++
		p.out.WriteString(p.src[start:p.pos])
	}
	return true
}

func (p *irParser) digits() bool {
	start := p.pos
	for isDigit(p.peek()) {
		p.pos++
	}
	return p.pos > start
}

// atom reads NormalChar / charClass / ( "(" i-regexp ")" ).
func (p *irParser) atom() bool {
	switch c := p.peek(); c {
	case '(':
		p.pos++
		p.out.WriteByte('(')
		if !p.regexp() || p.peek() != ')' {
			return false
		}
		p.pos++
		p.out.WriteByte(')')
		return true
	case '[':
		return p.classExpr()
	case '.':
		p.pos++
		p.out.WriteString(`[^\n\r]`)
		return true
	case '\\':
		return p.escape(false)
	case '?', '*', '+', '{', '}', ']', ')', '|':
		return false
	}
	_, size := utf8.DecodeRuneInString(p.src[p.pos:])
	p.out.WriteString(p.src[p.pos : p.pos+size])
	p.pos += size
	return true
}

// escape reads SingleCharEsc or, unless inRange, charClassEsc ("\p{…}",
// "\P{…}").
func (p *irParser) escape(inRange bool) bool {
	if p.pos+1 >= len(p.src) {
		return false
	}
	c := p.src[p.pos+1]
	switch c {
	case '(', ')', '*', '+', '-', '.', '?', '[', '\\', ']', '^', 'n', 'r', 't', '{', '|', '}':
		p.out.WriteString(p.src[p.pos : p.pos+2])
		p.pos += 2
		return true
	case 'p', 'P':
		if inRange {
			return false
		}
		end := strings.IndexByte(p.src[p.pos:], '}')
		if end < 0 || p.pos+2 >= len(p.src) || p.src[p.pos+2] != '{' || !isIRegexpCategory(p.src[p.pos+3:p.pos+end]) {
			return false
		}
		p.out.WriteString(p.src[p.pos : p.pos+end+1])
		p.pos += end + 1
		return true
	}
	return false
}

// irCategories maps the first letter of each Unicode general category of
// RFC 9485 (IsCategory) to the second letters it allows.
var irCategories = map[byte]string{'L': "lmotu", 'M': "cen", 'N': "dlo", 'P': "cdefios", 'Z': "lps", 'S': "ckmo", 'C': "cfno"}

// isIRegexpCategory reports whether s is an IsCategory of RFC 9485.
func isIRegexpCategory(s string) bool {
	if len(s) == 0 || len(s) > 2 {
		return false
	}
	second, ok := irCategories[s[0]]
	return ok && (len(s) == 1 || strings.IndexByte(second, s[1]) >= 0)
}

// classExpr reads charClassExpr = "[" [ "^" ] ( "-" / CCE1 ) *CCE1 [ "-" ] "]".
func (p *irParser) classExpr() bool {
	p.pos++
	p.out.WriteByte('[')
	if p.peek() == '^' {
		p.pos++
		p.out.WriteByte('^')
	}
	first := true
	for {
		if p.pos >= len(p.src) {
			return false
		}
		switch p.peek() {
		case ']':
			if first {
				return false
			}
			p.pos++
			p.out.WriteByte(']')
			return true
		case '-':
			// A '-' is a literal only first or last.
			if !first && p.pos+1 < len(p.src) && p.src[p.pos+1] != ']' {
				return false
			}
			p.pos++
			p.out.WriteString(`\-`)
		case '\\':
			if p.pos+1 < len(p.src) && (p.src[p.pos+1] == 'p' || p.src[p.pos+1] == 'P') {
				if !p.escape(false) {
					return false
				}
				break
			}
			if !p.classChar() || !p.classRange() {
				return false
			}
		default:
			if !p.classChar() || !p.classRange() {
				return false
			}
		}
		first = false
	}
}

// classChar reads CCchar: any character but '[', ']', '\' and '-', or a
// SingleCharEsc.
func (p *irParser) classChar() bool {
	switch c := p.peek(); c {
	case '\\':
		return p.escape(true)
	case '[', ']', '-':
		return false
	}
	_, size := utf8.DecodeRuneInString(p.src[p.pos:])
	p.out.WriteString(p.src[p.pos : p.pos+size])
	p.pos += size
	return true
}

// classRange reads the optional "-" CCchar of a range.
func (p *irParser) classRange() bool {
	if p.peek() != '-' || p.pos+1 >= len(p.src) || p.src[p.pos+1] == ']' {
		return true
	}
	p.pos++
	p.out.WriteByte('-')
	return p.classChar()
}
