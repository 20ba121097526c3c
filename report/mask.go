package report

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/go-arazzo/arazzo/runner"
)

// Mask is what every secret is replaced with.
const Mask = "***"

// MinSecretLen is the shortest value masked wherever it appears. Shorter
// values would turn ordinary text (status codes, durations, words) into
// *** everywhere; they are still masked where their position marks them
// secret (a sensitive header, a sensitive input).
const MinSecretLen = 3

// minLearnedLen is the shortest part of a sensitive header value (a
// cookie value, a bearer token) that is learned as a secret.
const minLearnedLen = 4

// DefaultSensitiveHeaders are the headers whose values are always masked:
// the credentials the runner confines to their hosts, and Set-Cookie.
var DefaultSensitiveHeaders = append(append([]string(nil), runner.CredentialHeaders...), "Set-Cookie")

// Masker replaces secrets with *** in everything a run prints or writes:
// terminal lines, verbose dumps and reports. It knows literal secrets
// (Add) and sensitive header names (AddHeaders), and learns the values of
// sensitive headers it is shown (Learn), so a token that a server returns
// and a later request sends as Authorization is masked wherever else it
// appears. A Masker is safe for concurrent use; the zero value and nil
// mask nothing but the default sensitive headers.
type Masker struct {
	mu      sync.RWMutex
	secrets map[string]bool
	headers map[string]bool // canonical names beyond the defaults
	rep     *strings.Replacer
}

// NewMasker returns a Masker that masks the given literal values.
func NewMasker(secrets ...string) *Masker {
	m := &Masker{}
	m.Add(secrets...)
	return m
}

// Add registers literal secret values. Values shorter than MinSecretLen
// are ignored (see Short).
func (m *Masker) Add(values ...string) {
	m.add(MinSecretLen, values...)
}

// Short returns the values among values that Add would not mask because
// they are too short, so that a caller can warn about them.
func Short(values ...string) []string {
	var out []string
	for _, v := range values {
		if v != "" && len(v) < MinSecretLen {
			out = append(out, v)
		}
	}
	return out
}

// AddValue registers a value of any JSON type as secret: strings as they
// are, numbers and booleans in their text form, and every string inside
// objects and arrays.
func (m *Masker) AddValue(v any) {
	switch t := v.(type) {
	case nil:
	case string:
		m.Add(t)
	case []byte:
		m.Add(string(t))
	case map[string]any:
		for _, x := range t {
			m.AddValue(x)
		}
	case []any:
		for _, x := range t {
			m.AddValue(x)
		}
	default:
		m.Add(fmt.Sprint(t))
	}
}

func (m *Masker) add(min int, values ...string) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	changed := false
	for _, v := range values {
		if len(v) < min || m.secrets[v] {
			continue
		}
		if m.secrets == nil {
			m.secrets = map[string]bool{}
		}
		m.secrets[v] = true
		changed = true
	}
	if changed {
		m.rebuild()
	}
}

// rebuild makes the replacer for every secret and the forms it takes once
// encoded in a URL, a JSON string or XML/HTML text. Longer patterns come
// first so that a secret containing another one is masked whole.
func (m *Masker) rebuild() {
	set := map[string]bool{}
	for s := range m.secrets {
		set[s] = true
		set[url.QueryEscape(s)] = true
		set[strings.ReplaceAll(url.QueryEscape(s), "+", "%20")] = true
		set[url.PathEscape(s)] = true
		set[strictEscape(s)] = true
		set[jsonEscape(s, false)] = true
		set[jsonEscape(s, true)] = true
		set[html.EscapeString(s)] = true
	}
	pats := make([]string, 0, len(set))
	for p := range set {
		if p != "" {
			pats = append(pats, p)
		}
	}
	sort.Slice(pats, func(i, j int) bool {
		if len(pats[i]) != len(pats[j]) {
			return len(pats[i]) > len(pats[j])
		}
		return pats[i] < pats[j]
	})
	args := make([]string, 0, 2*len(pats))
	for _, p := range pats {
		args = append(args, p, Mask)
	}
	m.rep = strings.NewReplacer(args...)
}

// strictEscape percent-encodes every byte but the RFC 3986 unreserved
// characters, as many request builders do for query values.
func strictEscape(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

func jsonEscape(s string, escapeHTML bool) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(escapeHTML)
	if err := enc.Encode(s); err != nil {
		return s
	}
	out := strings.TrimSuffix(buf.String(), "\n")
	return strings.TrimSuffix(strings.TrimPrefix(out, `"`), `"`)
}

// AddHeaders marks more header names (case-insensitive) as sensitive,
// beyond DefaultSensitiveHeaders.
func (m *Masker) AddHeaders(names ...string) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, n := range names {
		if n = strings.TrimSpace(n); n == "" {
			continue
		}
		if m.headers == nil {
			m.headers = map[string]bool{}
		}
		m.headers[http.CanonicalHeaderKey(n)] = true
	}
}

// SensitiveHeader reports whether the values of header name are secret.
func (m *Masker) SensitiveHeader(name string) bool {
	c := http.CanonicalHeaderKey(name)
	for _, h := range DefaultSensitiveHeaders {
		if c == http.CanonicalHeaderKey(h) {
			return true
		}
	}
	if m == nil {
		return false
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.headers[c]
}

// Learn registers the values of h's sensitive headers as secrets: the
// whole value and its secret parts (the credentials after an
// authentication scheme, the password of Basic credentials, cookie
// values), so that they are masked wherever else they appear.
func (m *Masker) Learn(h http.Header) {
	if m == nil {
		return
	}
	for name, vs := range h {
		if !m.SensitiveHeader(name) {
			continue
		}
		for _, v := range vs {
			m.add(minLearnedLen, secretParts(name, v)...)
		}
	}
}

// secretParts are the substrings of a sensitive header value to learn.
func secretParts(name, v string) []string {
	v = strings.TrimSpace(v)
	var parts []string
	switch http.CanonicalHeaderKey(name) {
	case "Authorization", "Proxy-Authorization":
		scheme, cred, ok := strings.Cut(v, " ")
		if !ok || !isToken(scheme) {
			// No scheme: the whole value is the credential.
			return []string{v}
		}
		// Only the credentials: "Bearer xyz" elsewhere shows as "Bearer ***".
		cred = strings.TrimSpace(cred)
		parts = append(parts, cred)
		if strings.EqualFold(scheme, "Basic") {
			if dec, err := base64.StdEncoding.DecodeString(cred); err == nil {
				parts = append(parts, string(dec))
				if _, pass, ok := strings.Cut(string(dec), ":"); ok {
					parts = append(parts, pass)
				}
			}
		}
	case "Cookie":
		for _, c := range strings.Split(v, ";") {
			if _, val, ok := strings.Cut(c, "="); ok {
				parts = append(parts, strings.Trim(strings.TrimSpace(val), `"`))
			}
		}
	case "Set-Cookie":
		first, _, _ := strings.Cut(v, ";")
		if _, val, ok := strings.Cut(first, "="); ok {
			parts = append(parts, strings.Trim(strings.TrimSpace(val), `"`))
		}
	default:
		parts = append(parts, v)
	}
	return parts
}

// String returns s with every known secret replaced by ***.
func (m *Masker) String(s string) string {
	if m == nil || s == "" {
		return s
	}
	m.mu.RLock()
	rep := m.rep
	m.mu.RUnlock()
	if rep == nil {
		return s
	}
	s = rep.Replace(s)
	if strings.Contains(s, ellipsis) {
		s = m.maskCut(s)
	}
	return s
}

// ellipsis is how values are cut short in criteria explanations.
const ellipsis = "…"

// maskCut masks the start of a secret that a shortened value ends with
// ("tok-secr…" when the secret is "tok-secret-1"): explanations cut long
// values before they reach the masker.
func (m *Masker) maskCut(s string) string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var b strings.Builder
	rest := s
	for {
		i := strings.Index(rest, ellipsis)
		if i < 0 {
			b.WriteString(rest)
			return b.String()
		}
		head := rest[:i]
		best := 0
		for sec := range m.secrets {
			for k := min(len(sec)-1, len(head)); k >= minLearnedLen && k > best; k-- {
				if strings.HasSuffix(head, sec[:k]) {
					best = k
					break
				}
			}
		}
		if best > 0 {
			head = head[:len(head)-best] + Mask
		}
		b.WriteString(head)
		b.WriteString(ellipsis)
		rest = rest[i+len(ellipsis):]
	}
}

// Bytes returns b with every known secret replaced by *** (b itself when
// it holds none).
func (m *Masker) Bytes(b []byte) []byte {
	if m == nil || len(b) == 0 {
		return b
	}
	m.mu.RLock()
	rep := m.rep
	m.mu.RUnlock()
	if rep == nil {
		return b
	}
	var buf bytes.Buffer
	if _, err := rep.WriteString(&buf, string(b)); err != nil {
		return b
	}
	return buf.Bytes()
}

// HeaderValue masks the value of header name: sensitive headers keep only
// their non-secret structure ("Bearer ***", "session=***; Path=/"), other
// headers are masked by value.
func (m *Masker) HeaderValue(name, v string) string {
	if !m.SensitiveHeader(name) {
		return m.String(v)
	}
	switch http.CanonicalHeaderKey(name) {
	case "Authorization", "Proxy-Authorization":
		if scheme, _, ok := strings.Cut(strings.TrimSpace(v), " "); ok && isToken(scheme) {
			return scheme + " " + Mask
		}
	case "Cookie":
		var out []string
		for _, c := range strings.Split(v, ";") {
			if n, _, ok := strings.Cut(strings.TrimSpace(c), "="); ok {
				out = append(out, n+"="+Mask)
			} else if strings.TrimSpace(c) != "" {
				out = append(out, Mask)
			}
		}
		return strings.Join(out, "; ")
	case "Set-Cookie":
		first, attrs, hasAttrs := strings.Cut(v, ";")
		n, _, ok := strings.Cut(first, "=")
		if !ok {
			return Mask
		}
		out := strings.TrimSpace(n) + "=" + Mask
		if hasAttrs {
			out += ";" + m.String(attrs)
		}
		return out
	}
	return Mask
}

// isToken: an authentication scheme is a short word, not a credential.
func isToken(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// Header returns a copy of h with every value masked (see HeaderValue).
func (m *Masker) Header(h http.Header) http.Header {
	out := make(http.Header, len(h))
	for k, vs := range h {
		mv := make([]string, len(vs))
		for i, v := range vs {
			mv[i] = m.HeaderValue(k, v)
		}
		out[k] = mv
	}
	return out
}

// URL masks a URL: its userinfo password and every known secret, in
// whichever encoding it appears.
func (m *Masker) URL(s string) string {
	if u, err := url.Parse(s); err == nil && u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "MASKED")
			s = strings.Replace(u.String(), ":MASKED@", ":"+Mask+"@", 1)
		}
	}
	return m.String(s)
}

// Value returns a deep copy of a JSON-shaped value with every string (and
// map key) masked; a number or boolean whose text is a secret becomes
// "***".
func (m *Masker) Value(v any) any {
	switch t := v.(type) {
	case nil:
		return nil
	case string:
		return m.String(t)
	case []byte:
		return m.Bytes(t)
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[m.String(k)] = m.Value(x)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = m.Value(x)
		}
		return out
	case bool, float64, float32, int, int64, int32, uint64, json.Number:
		s := fmt.Sprint(t)
		if m.String(s) != s {
			return Mask
		}
		return t
	}
	return v
}

// JSON re-encodes a JSON document with every string masked, keeping the
// order of object members; numbers whose text is a secret become "***".
// Working on decoded strings means escaped forms of a secret
// ("p\"ss", "\u003c") are masked too.
func (m *Masker) JSON(data []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var out bytes.Buffer
	type frame struct {
		obj bool
		n   int // values (arrays) or keys+values (objects) written
	}
	var stack []frame
	writeStr := func(s string) {
		b, _ := marshalNoHTML(m.String(s))
		out.Write(b)
	}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			if len(stack) > 0 {
				return nil, fmt.Errorf("masking JSON: %w", io.ErrUnexpectedEOF)
			}
			break
		}
		if err != nil {
			return nil, fmt.Errorf("masking JSON: %w", err)
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			out.WriteByte(byte(d))
			continue
		}
		// separator before this token
		if len(stack) > 0 {
			f := &stack[len(stack)-1]
			if f.obj {
				if f.n%2 == 0 {
					if f.n > 0 {
						out.WriteByte(',')
					}
				} else {
					out.WriteByte(':')
				}
			} else if f.n > 0 {
				out.WriteByte(',')
			}
			f.n++
		}
		switch t := tok.(type) {
		case json.Delim:
			out.WriteByte(byte(t))
			stack = append(stack, frame{obj: t == '{'})
		case string:
			writeStr(t)
		case json.Number:
			if s := t.String(); m.String(s) != s {
				writeStr(Mask)
			} else {
				out.WriteString(s)
			}
		case bool:
			out.WriteString(strconv.FormatBool(t))
		case nil:
			out.WriteString("null")
		}
	}
	return out.Bytes(), nil
}

func marshalNoHTML(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// EncodeJSON encodes v as indented JSON with every string masked.
func (m *Masker) EncodeJSON(v any) ([]byte, error) {
	raw, err := marshalNoHTML(v)
	if err != nil {
		return nil, err
	}
	masked, err := m.JSON(raw)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, masked, "", "  "); err != nil {
		return nil, err
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}
