package runner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
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
	// Timeout bounds one request including reading its body (default 30 s).
	Timeout time.Duration
}

// Defaults for HTTPOptions.
const (
	DefaultRetries                = 3
	DefaultRetryWaitMin           = 100 * time.Millisecond
	DefaultRetryWaitMax           = 2 * time.Second
	DefaultTransportMaxRetryAfter = 10 * time.Second
	DefaultMaxBodyBytes           = 64 << 20
	DefaultTimeout                = 30 * time.Second
)

// HTTPSender sends requests over HTTP with transport-level retries that are
// idempotency-aware: connection errors, 429, 502, 503 and 504 are retried
// with exponential backoff honouring Retry-After for GET, HEAD, PUT, DELETE,
// OPTIONS and TRACE; POST and PATCH only when the request carries an
// Idempotency-Key header or the connection failed before the request was
// written. A transport retry never replaces an Arazzo retry action.
type HTTPSender struct {
	client  *retryablehttp.Client
	opts    HTTPOptions
	timeout time.Duration
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
	hc := opts.Client
	if hc == nil {
		hc = &http.Client{Transport: newTransport()}
	}
	if opts.RoundTripper != nil {
		c := *hc
		c.Transport = opts.RoundTripper
		hc = &c
	}
	rc := &retryablehttp.Client{
		HTTPClient:   hc,
		Logger:       nil,
		RetryWaitMin: opts.RetryWaitMin,
		RetryWaitMax: opts.RetryWaitMax,
		RetryMax:     opts.Retries,
		CheckRetry:   checkRetry,
		ErrorHandler: retryablehttp.PassthroughErrorHandler,
		RequestLogHook: func(_ retryablehttp.Logger, req *http.Request, attempt int) {
			if st, ok := req.Context().Value(sendStateKey{}).(*sendState); ok {
				st.attempts = attempt
			}
		},
	}
	maxRA := opts.MaxRetryAfter
	rc.Backoff = func(min, max time.Duration, attempt int, resp *http.Response) time.Duration {
		if resp != nil {
			if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
				if d > maxRA {
					d = maxRA
				}
				return d
			}
		}
		return retryablehttp.DefaultBackoff(min, max, attempt, nil)
	}
	return &HTTPSender{client: rc, opts: opts, timeout: opts.Timeout}
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

type sendStateKey struct{}

// sendState carries per-request facts into the retry policy, which only
// sees a context.
type sendState struct {
	method     string
	idempotent bool
	attempts   int
}

var idempotentMethods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPut: true,
	http.MethodDelete: true, http.MethodOptions: true, http.MethodTrace: true,
}

func checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	st, _ := ctx.Value(sendStateKey{}).(*sendState)
	idempotent := st == nil || st.idempotent
	if err != nil {
		// A failed dial never reached the server: safe for any method.
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" {
			return true, nil
		}
		return idempotent, nil
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return idempotent, nil
	}
	return false, nil
}

// Send implements Sender.
func (s *HTTPSender) Send(ctx context.Context, req *Request) (*Response, error) {
	start := time.Now()
	st := &sendState{method: req.Method, idempotent: idempotentMethods[req.Method] || req.Header.Get("Idempotency-Key") != ""}
	ctx, cancel := context.WithTimeout(context.WithValue(ctx, sendStateKey{}, st), s.timeout)
	defer cancel()
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
	resp, err := s.client.Do(hreq)
	if err != nil {
		return nil, &TransportError{Method: req.Method, URL: req.URL, Err: unwrapURLError(err), Retries: st.attempts}
	}
	defer resp.Body.Close()
	data, err := readBody(resp.Body, s.opts.MaxBodyBytes)
	if err != nil {
		return nil, &TransportError{Method: req.Method, URL: req.URL, Err: err, Retries: st.attempts}
	}
	return &Response{
		StatusCode:       resp.StatusCode,
		Header:           resp.Header,
		Body:             data,
		TransportRetries: st.attempts,
		Duration:         time.Since(start),
	}, nil
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
// tolerated) or an HTTP-date. Negative and unparsable values are ignored.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if secs < 0 || secs != secs {
			return 0, false
		}
		if secs > float64(365*24*3600) {
			secs = float64(365 * 24 * 3600)
		}
		return time.Duration(secs * float64(time.Second)), true
	}
	if t, err := http.ParseTime(v); err == nil {
		d := t.Sub(now)
		if d < 0 {
			d = 0
		}
		return d, true
	}
	return 0, false
}
