package report

import (
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/go-arazzo/arazzo/runner"
)

// HAR defaults.
const (
	// DefaultHARHead and DefaultHARTail: a HAR keeps the first and the last
	// exchanges of a run and drops (and counts) those in between, so that a
	// poll of thousands of attempts cannot exhaust memory.
	DefaultHARHead = 250
	DefaultHARTail = 250
	// DefaultHARMaxBody caps each request and response body kept in a HAR.
	DefaultHARMaxBody = 128 << 10
)

// bodySlack is kept beyond the body cap until the HAR is written, so that
// a secret learned later and cut by the cap is still masked whole.
const bodySlack = 4 << 10

// HAROptions bound what a HARRecorder keeps. Zero fields take the defaults.
type HAROptions struct {
	Head, Tail   int
	MaxBodyBytes int
	// Now is the wall clock for entry start times (default time.Now).
	Now func() time.Time
}

// HARRecorder is a runner.Observer that records every HTTP exchange of a
// run (each step attempt; transport retries are counted on the attempt
// they belong to) and writes them as HAR 1.2. It is safe for concurrent
// use.
type HARRecorder struct {
	mu      sync.Mutex
	opts    HAROptions
	m       *Masker
	head    []*exchange
	tail    []*exchange // ring of the last opts.Tail exchanges
	next    int         // next ring slot
	total   int
	dropped int
}

type exchange struct {
	seq                int
	started            time.Time
	workflowID, stepID string
	attempt            int
	replayed           bool
	method, url        string
	reqHeader          http.Header
	reqBody            []byte
	reqSize            int
	hasResp            bool
	status             int
	respHeader         http.Header
	respBody           []byte
	respSize           int
	transportRetries   int
	errText            string
	duration           time.Duration
}

// NewHARRecorder returns a recorder that masks with m.
func NewHARRecorder(m *Masker, opts HAROptions) *HARRecorder {
	if opts.Head <= 0 {
		opts.Head = DefaultHARHead
	}
	if opts.Tail <= 0 {
		opts.Tail = DefaultHARTail
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultHARMaxBody
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &HARRecorder{opts: opts, m: m}
}

// Observe implements runner.Observer: it records StepAttempt events that
// carry a request.
func (h *HARRecorder) Observe(e runner.Event) {
	ev, ok := e.(runner.StepAttempt)
	if !ok || ev.Request == nil {
		return
	}
	x := &exchange{workflowID: ev.WorkflowID, stepID: ev.StepID, attempt: ev.Attempt, replayed: ev.Replayed,
		method: ev.Request.Method, url: ev.Request.URL, reqHeader: ev.Request.Header.Clone(),
		reqSize: len(ev.Request.Body), duration: ev.Duration}
	x.reqBody = h.keep(ev.Request.Body)
	if r := ev.Response; r != nil {
		x.hasResp, x.status, x.respHeader = true, r.StatusCode, r.Header.Clone()
		x.respSize, x.respBody = len(r.Body), h.keep(r.Body)
		x.transportRetries, x.duration = r.TransportRetries, r.Duration
	}
	if ev.Err != nil {
		x.errText = ev.Err.Error()
	}
	x.started = h.opts.Now().Add(-x.duration)

	h.mu.Lock()
	defer h.mu.Unlock()
	x.seq = h.total
	h.total++
	if len(h.head) < h.opts.Head {
		h.head = append(h.head, x)
		return
	}
	if len(h.tail) < h.opts.Tail {
		h.tail = append(h.tail, x)
		return
	}
	h.tail[h.next] = x
	h.next = (h.next + 1) % h.opts.Tail
	h.dropped++
}

// keep masks a body with what is known now and cuts it to the cap plus
// some slack; Write masks again and cuts to the cap.
func (h *HARRecorder) keep(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	b = h.m.Bytes(b)
	if n := h.opts.MaxBodyBytes + bodySlack; len(b) > n {
		b = b[:n]
	}
	return append([]byte(nil), b...)
}

// Stats returns how many exchanges were seen and how many were dropped.
func (h *HARRecorder) Stats() (total, dropped int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.total, h.dropped
}

// HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/).
type harFile struct {
	Log harLog `json:"log"`
}

type harLog struct {
	Version string     `json:"version"`
	Creator harCreator `json:"creator"`
	Entries []harEntry `json:"entries"`
	Comment string     `json:"comment,omitempty"`
}

type harCreator struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

type harEntry struct {
	StartedDateTime string      `json:"startedDateTime"`
	Time            float64     `json:"time"`
	Request         harRequest  `json:"request"`
	Response        harResponse `json:"response"`
	Cache           struct{}    `json:"cache"`
	Timings         harTimings  `json:"timings"`
	Comment         string      `json:"comment,omitempty"`
	// Custom fields (HAR allows fields starting with an underscore).
	WorkflowID       string `json:"_workflowId"`
	StepID           string `json:"_stepId"`
	Attempt          int    `json:"_attempt"`
	TransportRetries int    `json:"_transportRetries,omitempty"`
	Replayed         bool   `json:"_replayed,omitempty"`
	Error            string `json:"_error,omitempty"`
}

type harNV struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type harCookie struct {
	Name     string `json:"name"`
	Value    string `json:"value"`
	Path     string `json:"path,omitempty"`
	Domain   string `json:"domain,omitempty"`
	HTTPOnly bool   `json:"httpOnly,omitempty"`
	Secure   bool   `json:"secure,omitempty"`
}

type harRequest struct {
	Method      string       `json:"method"`
	URL         string       `json:"url"`
	HTTPVersion string       `json:"httpVersion"`
	Cookies     []harCookie  `json:"cookies"`
	Headers     []harNV      `json:"headers"`
	QueryString []harNV      `json:"queryString"`
	PostData    *harPostData `json:"postData,omitempty"`
	HeadersSize int          `json:"headersSize"`
	BodySize    int          `json:"bodySize"`
}

type harPostData struct {
	MimeType string `json:"mimeType"`
	Text     string `json:"text"`
	Comment  string `json:"comment,omitempty"`
	Encoding string `json:"_encoding,omitempty"`
}

type harResponse struct {
	Status      int         `json:"status"`
	StatusText  string      `json:"statusText"`
	HTTPVersion string      `json:"httpVersion"`
	Cookies     []harCookie `json:"cookies"`
	Headers     []harNV     `json:"headers"`
	Content     harContent  `json:"content"`
	RedirectURL string      `json:"redirectURL"`
	HeadersSize int         `json:"headersSize"`
	BodySize    int         `json:"bodySize"`
	Comment     string      `json:"comment,omitempty"`
}

type harContent struct {
	Size     int    `json:"size"`
	MimeType string `json:"mimeType"`
	Text     string `json:"text,omitempty"`
	Encoding string `json:"encoding,omitempty"`
	Comment  string `json:"comment,omitempty"`
}

type harTimings struct {
	Blocked float64 `json:"blocked"`
	DNS     float64 `json:"dns"`
	Connect float64 `json:"connect"`
	Send    float64 `json:"send"`
	Wait    float64 `json:"wait"`
	Receive float64 `json:"receive"`
	SSL     float64 `json:"ssl"`
}

// Write writes the recorded exchanges as HAR 1.2, every secret masked.
// creator and version name the tool in log.creator.
func (h *HARRecorder) Write(w io.Writer, creator, version string) error {
	h.mu.Lock()
	xs := append([]*exchange(nil), h.head...)
	if h.dropped == 0 {
		xs = append(xs, h.tail...)
	} else {
		xs = append(xs, h.tail[h.next:]...)
		xs = append(xs, h.tail[:h.next]...)
	}
	total, dropped, nhead, ntail := h.total, h.dropped, len(h.head), len(h.tail)
	h.mu.Unlock()

	f := harFile{Log: harLog{Version: "1.2", Creator: harCreator{Name: creator, Version: version}, Entries: []harEntry{}}}
	if f.Log.Creator.Name == "" {
		f.Log.Creator.Name = "arazzo"
	}
	if dropped > 0 {
		f.Log.Comment = fmt.Sprintf("%d of %d exchanges were dropped: this HAR keeps the first %d and the last %d",
			dropped, total, nhead, ntail)
	}
	for i, x := range xs {
		e := h.entry(x)
		if dropped > 0 && i == nhead {
			e.Comment = fmt.Sprintf("%d exchanges before this one were dropped; %s", dropped, e.Comment)
		}
		f.Log.Entries = append(f.Log.Entries, e)
	}
	data, err := h.m.EncodeJSON(f)
	if err != nil {
		return fmt.Errorf("encoding the HAR report: %w", err)
	}
	_, err = w.Write(data)
	return err
}

func (h *HARRecorder) entry(x *exchange) harEntry {
	m := h.m
	ms := float64(x.duration.Microseconds()) / 1000
	e := harEntry{
		StartedDateTime: x.started.UTC().Format(time.RFC3339Nano),
		Time:            ms,
		Timings:         harTimings{Blocked: -1, DNS: -1, Connect: -1, Send: 0, Wait: ms, Receive: 0, SSL: -1},
		Comment:         fmt.Sprintf("%s › %s, attempt %d", x.workflowID, x.stepID, x.attempt),
		WorkflowID:      x.workflowID, StepID: x.stepID, Attempt: x.attempt,
		TransportRetries: x.transportRetries, Replayed: x.replayed,
		Error: m.String(x.errText),
	}
	req := harRequest{Method: x.method, URL: m.URL(x.url), HTTPVersion: "HTTP/1.1",
		Cookies: []harCookie{}, Headers: harHeaders(m, x.reqHeader), QueryString: []harNV{},
		HeadersSize: -1, BodySize: x.reqSize}
	if u, err := url.Parse(x.url); err == nil {
		for _, kv := range strings.Split(u.RawQuery, "&") {
			if kv == "" {
				continue
			}
			k, v, _ := strings.Cut(kv, "=")
			if uk, err := url.QueryUnescape(k); err == nil {
				k = uk
			}
			if uv, err := url.QueryUnescape(v); err == nil {
				v = uv
			}
			req.QueryString = append(req.QueryString, harNV{Name: m.String(k), Value: m.String(v)})
		}
	}
	for _, c := range x.reqHeader.Values("Cookie") {
		for _, part := range strings.Split(c, ";") {
			if n, _, ok := strings.Cut(strings.TrimSpace(part), "="); ok {
				req.Cookies = append(req.Cookies, harCookie{Name: m.String(n), Value: Mask})
			}
		}
	}
	if x.reqSize > 0 {
		ct := x.reqHeader.Get("Content-Type")
		text, enc, note := h.body(x.reqBody, x.reqSize, ct)
		req.PostData = &harPostData{MimeType: ct, Text: text, Encoding: enc, Comment: note}
		if enc != "" {
			req.PostData.Comment = strings.TrimSpace("binary body, base64-encoded. " + note)
		}
	}
	e.Request = req

	resp := harResponse{HTTPVersion: "HTTP/1.1", Cookies: []harCookie{}, Headers: []harNV{}, HeadersSize: -1, BodySize: -1,
		Content: harContent{MimeType: "x-unknown"}}
	if x.hasResp {
		resp.Status, resp.StatusText = x.status, http.StatusText(x.status)
		resp.Headers = harHeaders(m, x.respHeader)
		resp.BodySize = x.respSize
		resp.RedirectURL = m.URL(x.respHeader.Get("Location"))
		for _, sc := range x.respHeader.Values("Set-Cookie") {
			if c, err := http.ParseSetCookie(sc); err == nil {
				resp.Cookies = append(resp.Cookies, harCookie{Name: m.String(c.Name), Value: Mask,
					Path: m.String(c.Path), Domain: m.String(c.Domain), HTTPOnly: c.HttpOnly, Secure: c.Secure})
			}
		}
		ct := x.respHeader.Get("Content-Type")
		resp.Content.Size = x.respSize
		if ct != "" {
			resp.Content.MimeType = ct
		}
		if x.respSize > 0 {
			resp.Content.Text, resp.Content.Encoding, resp.Content.Comment = h.body(x.respBody, x.respSize, ct)
		}
	} else {
		resp.Comment = "no response: " + e.Error
	}
	e.Response = resp
	return e
}

// body renders a kept body for a HAR: masked, cut to the cap, text as
// text and binary as base64; note says what was cut.
func (h *HARRecorder) body(b []byte, size int, contentType string) (text, encoding, note string) {
	cut := len(b) < size // already cut when recorded
	b = h.m.Bytes(b)
	textual := IsText(contentType, b)
	if len(b) > h.opts.MaxBodyBytes {
		cut = true
		b = b[:h.opts.MaxBodyBytes]
		if textual {
			for len(b) > 0 && !utf8.Valid(b) {
				b = b[:len(b)-1]
			}
		}
	}
	if cut {
		note = fmt.Sprintf("body truncated: %d of its %d bytes are kept (HAR bodies are capped at %d bytes)", len(b), size, h.opts.MaxBodyBytes)
	}
	if textual {
		return string(b), "", note
	}
	return base64.StdEncoding.EncodeToString(b), "base64", note
}

func harHeaders(m *Masker, hd http.Header) []harNV {
	out := []harNV{}
	for _, k := range sortedHeaderKeys(hd) {
		for _, v := range hd[k] {
			out = append(out, harNV{Name: k, Value: m.HeaderValue(k, v)})
		}
	}
	return out
}

// IsText reports whether a body of this content type should be shown as
// text: a textual media type (text/*, JSON, XML, YAML, form data,
// JavaScript) or, without a content type, UTF-8 without NUL bytes; in
// both cases the bytes must be valid UTF-8 (a cut at the end is
// tolerated).
func IsText(contentType string, b []byte) bool {
	valid := utf8.Valid(b)
	if !valid && len(b) > utf8.UTFMax {
		// a body cut inside a multi-byte character
		for i := 1; i < utf8.UTFMax && !valid; i++ {
			valid = utf8.Valid(b[:len(b)-i])
		}
	}
	if !valid {
		return false
	}
	if contentType == "" {
		return !strings.ContainsRune(string(b), 0)
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		mt = strings.ToLower(strings.TrimSpace(contentType))
	}
	switch {
	case strings.HasPrefix(mt, "text/"),
		strings.HasSuffix(mt, "json"), strings.HasSuffix(mt, "+json"),
		strings.HasSuffix(mt, "/xml"), strings.HasSuffix(mt, "+xml"),
		strings.Contains(mt, "yaml"), strings.Contains(mt, "javascript"),
		mt == "application/x-www-form-urlencoded", mt == "application/x-ndjson",
		mt == "application/problem+json", mt == "application/graphql":
		return true
	}
	return false
}

func sortedHeaderKeys(h http.Header) []string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
