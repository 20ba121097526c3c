package report

import (
	"encoding/base64"
	"net/http"
	"strings"
	"sync"
	"testing"
)

func TestMaskerEncodedForms(t *testing.T) {
	m := NewMasker(`p@ss w/rd&"x"<y>`)
	for _, in := range []string{
		`raw p@ss w/rd&"x"<y> end`,
		`query ?k=p%40ss+w%2Frd%26%22x%22%3Cy%3E end`,
		`strict ?k=p%40ss%20w%2Frd%26%22x%22%3Cy%3E end`,
		`path /p@ss%20w%2Frd&%22x%22%3Cy%3E end`,
		`json {"k":"p@ss w/rd\u0026\"x\"\u003cy\u003e"} end`,
		`json {"k":"p@ss w/rd&\"x\"<y>"} end`,
		`xml p@ss w/rd&amp;&#34;x&#34;&lt;y&gt; end`,
	} {
		got := m.String(in)
		if strings.Contains(got, "p@ss") || strings.Contains(got, "p%40ss") || !strings.Contains(got, Mask) {
			t.Errorf("%q → %q: secret not masked", in, got)
		}
	}
}

func TestMaskerShortValuesAndCuts(t *testing.T) {
	m := NewMasker("ab", "", "tok-secret-1234")
	if got := m.String("ab cab 200"); got != "ab cab 200" {
		t.Errorf("a 2-character secret masked ordinary text: %q", got)
	}
	if got := Short("ab", "", "abcd"); len(got) != 1 || got[0] != "ab" {
		t.Errorf("Short = %q", got)
	}
	// A value cut short by an explanation still hides the secret's start.
	got := m.String(`= "prefix tok-secr…", expected "ok"`)
	if strings.Contains(got, "tok-secr") || !strings.Contains(got, "prefix ***…") {
		t.Errorf("cut secret: %q", got)
	}
	// An ellipsis after ordinary text leaves it alone.
	if got := m.String("waiting…"); got != "waiting…" {
		t.Errorf("ordinary ellipsis: %q", got)
	}
}

func TestMaskerHeaders(t *testing.T) {
	m := NewMasker()
	m.AddHeaders("x-session-token")
	basic := base64.StdEncoding.EncodeToString([]byte("alice:hunter2-pass"))
	h := http.Header{
		"Authorization":       {"Bearer tok-abc-123"},
		"Proxy-Authorization": {"Basic " + basic},
		"Cookie":              {"sid=cookie-val-1; theme=darkmode"},
		"Set-Cookie":          {"sid=set-val-2; Path=/; HttpOnly"},
		"X-Api-Key":           {"key-val-3"},
		"X-Session-Token":     {"sess-val-4"},
		"Accept":              {"application/json"},
	}
	want := map[string]string{
		"Authorization":       "Bearer ***",
		"Proxy-Authorization": "Basic ***",
		"Cookie":              "sid=***; theme=***",
		"Set-Cookie":          "sid=***; Path=/; HttpOnly",
		"X-Api-Key":           "***",
		"X-Session-Token":     "***",
		"Accept":              "application/json",
	}
	masked := m.Header(h)
	for k, v := range want {
		if got := masked.Get(k); got != v {
			t.Errorf("%s: %q, want %q", k, got, v)
		}
	}
	if h.Get("Authorization") != "Bearer tok-abc-123" {
		t.Error("Header changed its argument")
	}
	// Learned values are masked everywhere else; the scheme word is not.
	m.Learn(h)
	text := "echo tok-abc-123 hunter2-pass alice:hunter2-pass " + basic + " cookie-val-1 darkmode set-val-2 key-val-3 sess-val-4 Bearer"
	got := m.String(text)
	for _, secret := range []string{"tok-abc-123", "hunter2-pass", basic, "cookie-val-1", "darkmode", "set-val-2", "key-val-3", "sess-val-4"} {
		if strings.Contains(got, secret) {
			t.Errorf("learned %q not masked: %q", secret, got)
		}
	}
	if !strings.HasSuffix(got, " Bearer") {
		t.Errorf("the scheme word was masked: %q", got)
	}
	if !m.SensitiveHeader("X-SESSION-TOKEN") || m.SensitiveHeader("Accept") {
		t.Error("SensitiveHeader is not case-insensitive or too broad")
	}
}

func TestMaskerURLAndValues(t *testing.T) {
	m := NewMasker("s3cr3t-value")
	if got := m.URL("https://bob:pa55word@host/x?k=s3cr3t-value"); got != "https://bob:***@host/x?k=***" {
		t.Errorf("URL = %q", got)
	}
	v := m.Value(map[string]any{"a": []any{"x s3cr3t-value", 1.5}, "s3cr3t-value": true, "b": []byte("s3cr3t-value")})
	mm := v.(map[string]any)
	if mm["a"].([]any)[0] != "x ***" || mm["***"] != true || string(mm["b"].([]byte)) != "***" {
		t.Errorf("Value = %#v", v)
	}
	n := NewMasker("123456")
	if got := n.Value(float64(123456)); got != Mask {
		t.Errorf("a secret number: %v", got)
	}
}

func TestMaskerJSONKeepsOrderAndEscapes(t *testing.T) {
	m := NewMasker(`q"uote-secret`)
	in := []byte(`{"z":1,"a":{"k":"q\"uote-secret","n":[true,null,2.50]},"m":"x"}`)
	out, err := m.JSON(in)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != `{"z":1,"a":{"k":"***","n":[true,null,2.50]},"m":"x"}` {
		t.Errorf("JSON = %s", out)
	}
	if _, err := m.JSON([]byte(`{"a":`)); err == nil {
		t.Error("truncated JSON accepted")
	}
}

func TestMaskerConcurrent(t *testing.T) {
	m := NewMasker()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 200 {
				m.Learn(http.Header{"Authorization": {"Bearer token-" + string(rune('a'+i)) + string(rune('a'+j%26))}})
				_ = m.String("token-aa token-hz")
			}
		}()
	}
	wg.Wait()
	if got := m.String("token-aa token-hz"); got != "*** ***" {
		t.Errorf("after concurrent learning: %q", got)
	}
}
