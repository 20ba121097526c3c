package runner

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// Request is one HTTP request a step sends. It is plain data so that a
// journal can record it and a durable-execution host can ship it to a worker.
type Request struct {
	Method string
	URL    string
	Header http.Header
	Body   []byte
	// Credentials names the headers of this request that carry
	// credentials besides the ones always treated so (Authorization,
	// Proxy-Authorization, Cookie, Cookie2, X-API-Key): the apiKey headers
	// of the source's securitySchemes. HTTPSender drops all of them on a
	// redirect to another host.
	Credentials []string `json:",omitempty"`
	// Notes says what the runner changed before sending, for reports:
	// credentials dropped because the URL addresses a host other than the
	// step's source server.
	Notes []string `json:",omitempty"`
}

// Response is the HTTP response to a Request, read in full (up to the
// body limit).
type Response struct {
	StatusCode int
	Header     http.Header
	Body       []byte
	// TransportRetries counts the extra sends the transport made (connection
	// errors, 429, 502/503/504) before this response.
	TransportRetries int
	// Duration is the time from the first send to the end of the body.
	Duration time.Duration
	// Notes says what the sender did that a report should show:
	// credentials dropped on a redirect to another host.
	Notes []string `json:",omitempty"`
}

// Sender sends step requests. The default is HTTPSender; tests, replays of a
// journal and durable-execution hosts supply their own.
type Sender interface {
	Send(ctx context.Context, req *Request) (*Response, error)
}

// SenderFunc adapts a function to Sender.
type SenderFunc func(ctx context.Context, req *Request) (*Response, error)

// Send calls f.
func (f SenderFunc) Send(ctx context.Context, req *Request) (*Response, error) { return f(ctx, req) }

// TransportError is a request that got no HTTP response: refused, reset,
// timed out, or a body over the size limit.
type TransportError struct {
	Method, URL string
	Err         error
	Retries     int
}

func (e *TransportError) Error() string {
	msg := fmt.Sprintf("%s %s: %v", e.Method, e.URL, e.Err)
	if e.Retries > 0 {
		msg += fmt.Sprintf(" (after %d transport retries)", e.Retries)
	}
	return msg
}

func (e *TransportError) Unwrap() error { return e.Err }

// ErrBodyTooLarge is wrapped by the error for a response body over the limit.
var ErrBodyTooLarge = errors.New("response body too large")

// ErrRequestTimeout is wrapped (with context.DeadlineExceeded) by the error
// for a request that did not complete within HTTPOptions.Timeout.
var ErrRequestTimeout = errors.New("request timeout")

// RedirectError is a redirect HTTPSender refused to follow: too many
// redirects (a loop) or a downgrade from https to http. It is never retried.
type RedirectError struct {
	// Location is the URL the refused redirect pointed to.
	Location string
	Reason   string
}

func (e *RedirectError) Error() string {
	return fmt.Sprintf("refused redirect to %s: %s", e.Location, e.Reason)
}

// HTTPOptions configures HTTPSender. Zero fields take the defaults.
type HTTPOptions struct {
	// Client sends the requests; nil means a client with a tuned keep-alive
	// transport. Its Transport may be replaced by RoundTripper.
	Client *http.Client
	// RoundTripper, when set, is used as the client's transport.
	RoundTripper http.RoundTripper
	// Retries is the number of transport-level retries (default 3; -1 for none).
	Retries int
	// RetryWaitMin and RetryWaitMax bound the exponential backoff between
	// transport retries (default 100 ms and 2 s).
	RetryWaitMin, RetryWaitMax time.Duration
	// MaxRetryAfter caps a server's Retry-After on transport retries (default 10 s).
	MaxRetryAfter time.Duration
	// MaxBodyBytes limits a response body (default 64 MiB).
	MaxBodyBytes int64
	// Timeout bounds one Send: every transport attempt, the waits between
	// them and reading the body (default 30 s).
	Timeout time.Duration
	// MaxRedirects bounds the redirects followed per request (default 10;
	// -1 for none: a redirect then fails the request).
	MaxRedirects int
	// WrapTransport, when set, wraps the transport finally used (whichever
	// Client or RoundTripper is configured), e.g. for HTTP client tracing.
	WrapTransport func(http.RoundTripper) http.RoundTripper
	// Clock waits between transport retries and dates Retry-After; nil
	// means SystemClock. Runner passes its own Clock.
	Clock Clock
	// Insecure turns TLS certificate verification off. It applies to the
	// transport HTTPSender creates, or to a Client's or RoundTripper's
	// *http.Transport (cloned, never modified).
	Insecure bool
	// ClientCerts maps a host to the client certificate (mTLS) presented
	// to it and to no other host. A key with a port ("api.example.com:8443")
	// matches that port only; a key without one matches every port.
	ClientCerts map[string]tls.Certificate
}

// Defaults for HTTPOptions.
const (
	DefaultRetries                = 3
	DefaultRetryWaitMin           = 100 * time.Millisecond
	DefaultRetryWaitMax           = 2 * time.Second
	DefaultTransportMaxRetryAfter = 10 * time.Second
	DefaultMaxBodyBytes           = 64 << 20
	DefaultTimeout                = 30 * time.Second
	DefaultMaxRedirects           = 10
)

// maxRetryAfterParsed caps a parsed Retry-After before any configured cap
// applies, so that absurd values (10^12 seconds, the year 9999) cannot
// overflow a duration.
const maxRetryAfterParsed = 365 * 24 * time.Hour

// HTTPSender sends requests over HTTP with transport-level retries that are
// idempotency-aware: connection errors, a connection lost while reading the
// body, 429, 502, 503 and 504 are retried with exponential backoff
// honouring Retry-After for GET, HEAD, PUT, DELETE, OPTIONS and TRACE;
// POST and PATCH only when the request carries an Idempotency-Key header
// or the connection failed before the request was written. Redirect
// loops, refused redirects, TLS verification failures and bodies over the
// limit are never retried. A transport retry never replaces an Arazzo
// retry action.
//
// On a redirect to another host (host and port), credentials are dropped:
// Authorization, Proxy-Authorization, Cookie, Cookie2, X-API-Key and the
// headers named in Request.Credentials; Response.Notes says so. Redirects
// from https to http are refused.
type HTTPSender struct {
	hc      *http.Client
	opts    HTTPOptions
	clock   Clock
	closers []interface{ CloseIdleConnections() }
	// rc is shared by all sends; the per-request state travels in the
	// request's context (the sendState is that context), so nothing is
	// built per send.
	rc *retryablehttp.Client
}

// NewHTTPSender returns an HTTPSender with opts, defaults filled in.
func NewHTTPSender(opts HTTPOptions) *HTTPSender {
	if opts.Retries == 0 {
		opts.Retries = DefaultRetries
	} else if opts.Retries < 0 {
		opts.Retries = 0
	}
	if opts.RetryWaitMin <= 0 {
		opts.RetryWaitMin = DefaultRetryWaitMin
	}
	if opts.RetryWaitMax <= 0 {
		opts.RetryWaitMax = DefaultRetryWaitMax
	}
	if opts.MaxRetryAfter <= 0 {
		opts.MaxRetryAfter = DefaultTransportMaxRetryAfter
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.MaxRedirects == 0 {
		opts.MaxRedirects = DefaultMaxRedirects
	} else if opts.MaxRedirects < 0 {
		opts.MaxRedirects = 0
	}
	s := &HTTPSender{opts: opts, clock: opts.Clock}
	if s.clock == nil {
		s.clock = SystemClock{}
	}
	var hc http.Client
	if opts.Client != nil {
		hc = *opts.Client
	}
	rt := hc.Transport
	if opts.RoundTripper != nil {
		rt = opts.RoundTripper
	}
	owned := rt == nil
	if owned {
		rt = newTransport()
	}
	if t, ok := rt.(*http.Transport); ok && (opts.Insecure || len(opts.ClientCerts) > 0) {
		if !owned {
			t = t.Clone()
		}
		rt = s.tlsTransport(t)
		owned = true
	}
	if owned {
		if c, ok := rt.(interface{ CloseIdleConnections() }); ok {
			s.closers = append(s.closers, c)
		}
	}
	if opts.WrapTransport != nil {
		rt = opts.WrapTransport(rt)
	}
	hc.Transport = rt
	userCheck := hc.CheckRedirect
	hc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if err := s.checkRedirect(req, via); err != nil {
			return err
		}
		if userCheck != nil {
			return userCheck(req, via)
		}
		return nil
	}
	s.hc = &hc
	s.rc = &retryablehttp.Client{
		HTTPClient:   s.hc,
		RetryWaitMin: opts.RetryWaitMin,
		RetryWaitMax: opts.RetryWaitMax,
		RetryMax:     opts.Retries,
		CheckRetry: func(ctx context.Context, resp *http.Response, err error) (bool, error) {
			st := stateOf(ctx)
			st.lastResp = resp
			return st.checkRetry(ctx, resp, err)
		},
		ErrorHandler: retryablehttp.PassthroughErrorHandler,
		RequestLogHook: func(_ retryablehttp.Logger, req *http.Request, attempt int) {
			stateOf(req.Context()).attempts = attempt
		},
		// retryablehttp waits zero; the wait happens before the retry,
		// through the Clock, so that tests and durable hosts control it.
		Backoff: func(time.Duration, time.Duration, int, *http.Response) time.Duration { return 0 },
		PrepareRetry: func(req *http.Request) error {
			st := stateOf(req.Context())
			return s.clock.Sleep(req.Context(), s.backoff(s.opts.RetryWaitMin, s.opts.RetryWaitMax, st.attempts, st.lastResp))
		},
	}
	return s
}

// stateOf returns the state of the send ctx belongs to (ctx is the
// sendState or derived from it).
func stateOf(ctx context.Context) *sendState {
	st, _ := ctx.Value(sendStateKey{}).(*sendState)
	if st == nil {
		st = &sendState{} // a request not made by Send: no retries of note
	}
	return st
}

// CloseIdleConnections closes the idle keep-alive connections of the
// transports this sender created (not those of a caller's Client or
// RoundTripper), so that their goroutines end. The sender stays usable.
func (s *HTTPSender) CloseIdleConnections() {
	for _, c := range s.closers {
		c.CloseIdleConnections()
	}
}

// newTransport returns a keep-alive transport sized for polling loops and
// many concurrent workflows against few hosts.
func newTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 256
	t.MaxIdleConnsPerHost = 64
	t.IdleConnTimeout = 90 * time.Second
	return t
}

// tlsTransport applies Insecure and ClientCerts to t: one transport per
// client-certificate host, so that a certificate is only ever presented to
// its host.
func (s *HTTPSender) tlsTransport(t *http.Transport) http.RoundTripper {
	if t.TLSClientConfig == nil {
		t.TLSClientConfig = &tls.Config{}
	}
	if s.opts.Insecure {
		t.TLSClientConfig.InsecureSkipVerify = true
	}
	if len(s.opts.ClientCerts) == 0 {
		return t
	}
	ht := &hostTransport{base: t, byHost: map[string]*http.Transport{}}
	for host, cert := range s.opts.ClientCerts {
		ct := t.Clone()
		ct.TLSClientConfig.Certificates = []tls.Certificate{cert}
		ht.byHost[strings.ToLower(host)] = ct
	}
	return ht
}

// hostTransport picks a transport by the request's host.
type hostTransport struct {
	base   *http.Transport
	byHost map[string]*http.Transport // "host:port" or "host"
}

func (h *hostTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	hostport := canonicalHost(req.URL)
	if t, ok := h.byHost[hostport]; ok {
		return t.RoundTrip(req)
	}
	if host, _, err := net.SplitHostPort(hostport); err == nil {
		if t, ok := h.byHost[host]; ok {
			return t.RoundTrip(req)
		}
	}
	return h.base.RoundTrip(req)
}

func (h *hostTransport) CloseIdleConnections() {
	h.base.CloseIdleConnections()
	for _, t := range h.byHost {
		t.CloseIdleConnections()
	}
}

// canonicalHost returns "host:port" in lower case with the scheme's
// default port filled in.
func canonicalHost(u *url.URL) string {
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if port == "" {
		switch strings.ToLower(u.Scheme) {
		case "https":
			port = "443"
		default:
			port = "80"
		}
	}
	return net.JoinHostPort(host, port)
}

// SameHost reports whether two URLs address the same host and port (the
// scheme's default port when none is given). Credentials go only where
// SameHost holds.
func SameHost(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	return err1 == nil && err2 == nil && canonicalHost(ua) == canonicalHost(ub)
}

// CredentialHeaders are the request headers treated as credentials on
// every request: never sent to another host, masked in every output.
var CredentialHeaders = []string{"Authorization", "Proxy-Authorization", "Cookie", "Cookie2", "X-Api-Key"}

// stripCredentials deletes the credential headers of h (the always-treated
// ones and extra) and returns the names it deleted, sorted.
func stripCredentials(h http.Header, extra []string) []string {
	var dropped []string
	for _, name := range append(append([]string(nil), CredentialHeaders...), extra...) {
		k := http.CanonicalHeaderKey(name)
		if _, ok := h[k]; ok {
			delete(h, k)
			if !containsFold(dropped, k) {
				dropped = append(dropped, k)
			}
		}
	}
	sort.Strings(dropped)
	return dropped
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// sendState is the state of one Send: what the retry policy and the
// redirect check learn and report. It is also the context of the send's
// requests: it wraps the caller's context (with the request timeout) and
// answers Value(sendStateKey{}) with itself, which spares a
// context.WithValue per request. Deadline, Done and Err are the wrapped
// context's, so contexts derived from it are cancelled with it directly
// (no goroutine: the context package finds the wrapped cancelCtx through
// Value).
type sendState struct {
	context.Context
	lastResp    *http.Response // the response CheckRetry last saw (nil: an error)
	idempotent  bool
	credentials []string
	attempts    int
	notes       []string
	data        []byte
	bodyRead    bool
}

type sendStateKey struct{}

// Value implements context.Context.
func (st *sendState) Value(key any) any {
	if _, ok := key.(sendStateKey); ok {
		return st
	}
	return st.Context.Value(key)
}

var idempotentMethods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPut: true,
	http.MethodDelete: true, http.MethodOptions: true, http.MethodTrace: true,
}

// checkRedirect bounds redirects, refuses downgrades and drops credentials
// on a redirect to another host.
func (s *HTTPSender) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > s.opts.MaxRedirects {
		reason := fmt.Sprintf("stopped after %d redirects (a redirect loop?)", s.opts.MaxRedirects)
		if s.opts.MaxRedirects == 0 {
			reason = "redirects are not followed (--max-redirects 0)"
		}
		return &RedirectError{Location: req.URL.String(), Reason: reason}
	}
	first := via[0]
	if strings.EqualFold(first.URL.Scheme, "https") && !strings.EqualFold(req.URL.Scheme, "https") {
		return &RedirectError{Location: req.URL.String(), Reason: "it would downgrade https to " + req.URL.Scheme}
	}
	if canonicalHost(first.URL) != canonicalHost(req.URL) {
		st, _ := req.Context().Value(sendStateKey{}).(*sendState)
		var extra []string
		if st != nil {
			extra = st.credentials
		}
		stripCredentials(req.Header, extra)
		// Name every credential of the original request: net/http itself
		// drops some (Authorization, Cookie) when the host name changes.
		if dropped := stripCredentials(first.Header.Clone(), extra); len(dropped) > 0 && st != nil {
			note := fmt.Sprintf("dropped %s on the redirect to %s: credentials go only to the host they were meant for (%s)",
				strings.Join(dropped, ", "), req.URL.Host, first.URL.Host)
			if !containsFold(st.notes, note) {
				st.notes = append(st.notes, note)
			}
		}
	}
	return nil
}

// checkRetry is the transport retry policy (see HTTPSender).
func (st *sendState) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if err != nil {
		if !retryableError(err) {
			return false, nil
		}
		// A failed dial never reached the server: safe for any method.
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" {
			return true, nil
		}
		return st.idempotent, nil
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return st.idempotent, nil
	}
	return false, nil
}

// retryableError reports whether a transport error may go away on its own.
func retryableError(err error) bool {
	var (
		re   *RedirectError
		ua   x509.UnknownAuthorityError
		ci   x509.CertificateInvalidError
		he   x509.HostnameError
		cve  *tls.CertificateVerificationError
		rhe  tls.RecordHeaderError
		aerr tls.AlertError
	)
	switch {
	case errors.Is(err, ErrBodyTooLarge), errors.As(err, &re), errors.As(err, &ua), errors.As(err, &ci),
		errors.As(err, &he), errors.As(err, &cve), errors.As(err, &rhe), errors.As(err, &aerr):
		return false
	}
	// net/http's unsupported scheme and malformed URL errors.
	// A TLS alert from the server (a client certificate refused or
	// missing, no common protocol version) does not go away either.
	msg := err.Error()
	for _, permanent := range []string{"unsupported protocol scheme", "invalid header", "remote error: tls: ", "tls: failed to verify"} {
		if strings.Contains(msg, permanent) {
			return false
		}
	}
	return true
}

// Send implements Sender.
func (s *HTTPSender) Send(ctx context.Context, req *Request) (*Response, error) {
	start := time.Now()
	parent := ctx
	// The request timeout. A caller's deadline that comes first (a step
	// timeout) already bounds the request: a second timer would never fire
	// first, and costs a timer and a cancellable context per request.
	if d, ok := ctx.Deadline(); !ok || d.After(start.Add(s.opts.Timeout)) {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.opts.Timeout)
		defer cancel()
	}
	st := &sendState{
		Context:     ctx,
		idempotent:  idempotentMethods[req.Method] || req.Header.Get("Idempotency-Key") != "",
		credentials: req.Credentials,
	}
	ctx = st
	var body any
	if req.Body != nil {
		body = req.Body
	}
	hreq, err := retryablehttp.NewRequestWithContext(ctx, req.Method, req.URL, body)
	if err != nil {
		return nil, &TransportError{Method: req.Method, URL: req.URL, Err: err}
	}
	for k, vs := range req.Header {
		hreq.Header[k] = vs
	}
	if host := req.Header.Get("Host"); host != "" {
		hreq.Host = host
	}
	// The body is read inside the retry loop, so that a connection lost
	// mid-body is retried like one lost before the headers.
	hreq.SetResponseHandler(func(resp *http.Response) error {
		defer resp.Body.Close()
		data, err := s.readBody(resp)
		if err != nil {
			return err
		}
		st.data, st.bodyRead = data, true
		return nil
	})
	resp, err := s.rc.Do(hreq)
	if err == nil && resp != nil {
		if !st.bodyRead {
			// The last of a series of retried statuses (503 …): the
			// response handler did not run.
			data, rerr := s.readBody(resp)
			resp.Body.Close()
			if rerr != nil {
				err = rerr
			} else {
				st.data = data
			}
		}
	} else if resp != nil {
		resp.Body.Close()
	}
	if err != nil {
		return nil, &TransportError{Method: req.Method, URL: req.URL, Err: s.explain(parent, ctx, unwrapURLError(err)), Retries: st.attempts}
	}
	return &Response{
		StatusCode:       resp.StatusCode,
		Header:           resp.Header,
		Body:             st.data,
		TransportRetries: st.attempts,
		Duration:         time.Since(start),
		Notes:            st.notes,
	}, nil
}

// backoff is the wait before transport retry attempt+1: the server's
// Retry-After (capped by MaxRetryAfter) or exponential backoff.
func (s *HTTPSender) backoff(min, max time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil {
		if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), s.clock.Now()); ok {
			return min2(d, s.opts.MaxRetryAfter)
		}
	}
	return retryablehttp.DefaultBackoff(min, max, attempt, nil)
}

func min2(a, b time.Duration) time.Duration {
	if a < b {
		return a
	}
	return b
}

// explain turns the request timeout into an error that says so; the
// caller's own deadline or cancellation is left as it is.
func (s *HTTPSender) explain(parent, ctx context.Context, err error) error {
	if parent.Err() == nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%w: no complete response within %s (raise it with --request-timeout): %w", ErrRequestTimeout, s.opts.Timeout, context.DeadlineExceeded)
	}
	return err
}

// unwrapURLError drops net/http's "Get "url": " wrapper: the step report
// already names the request.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// readBody reads a response body up to the limit; a declared
// Content-Length over the limit fails before reading.
func (s *HTTPSender) readBody(resp *http.Response) ([]byte, error) {
	limit := s.opts.MaxBodyBytes
	if resp.ContentLength > limit {
		return nil, fmt.Errorf("%w: Content-Length is %d bytes, the limit is %d (raise it with --max-body)", ErrBodyTooLarge, resp.ContentLength, limit)
	}
	return readBody(resp.Body, limit)
}

func readBody(r io.Reader, limit int64) ([]byte, error) {
	var buf bytes.Buffer
	n, err := buf.ReadFrom(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading response body: %w", err)
	}
	if n > limit {
		return nil, fmt.Errorf("%w: more than %d bytes (raise the limit with --max-body)", ErrBodyTooLarge, limit)
	}
	return buf.Bytes(), nil
}

// parseRetryAfter reads a Retry-After header: delay-seconds (decimals
// tolerated) or an HTTP-date relative to now. Negative and unparsable
// values are ignored; absurd ones are capped at a year (callers cap
// further).
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if secs < 0 || secs != secs {
			return 0, false
		}
		if secs > maxRetryAfterParsed.Seconds() {
			return maxRetryAfterParsed, true
		}
		return time.Duration(secs * float64(time.Second)), true
	}
	if t, err := http.ParseTime(v); err == nil {
		d := t.Sub(now)
		if d < 0 {
			d = 0
		}
		return min2(d, maxRetryAfterParsed), true
	}
	return 0, false
}
