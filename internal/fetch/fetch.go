// Package fetch reads documents (Arazzo and OpenAPI descriptions) from files
// and http(s) URLs with the limits an engine that loads untrusted documents
// needs: a size cap, a time limit, confinement of file access to allowed
// directory trees, and no redirects to other schemes.
package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Defaults for Options fields left zero.
const (
	DefaultMaxBytes = 32 << 20 // 32 MiB: the largest published OpenAPI files are ~10 MiB
	DefaultTimeout  = 30 * time.Second
)

// Options configures a Fetcher.
type Options struct {
	// Client sends http(s) requests; nil means a client with Timeout.
	Client *http.Client
	// MaxBytes caps the size of one document.
	MaxBytes int64
	// Timeout bounds one http(s) fetch.
	Timeout time.Duration
	// AllowPaths lists the directory trees that file locations may be read
	// from. Empty means no confinement.
	AllowPaths []string
}

// Fetcher reads documents by location. It is safe for concurrent use.
type Fetcher struct {
	client   *http.Client
	maxBytes int64
	timeout  time.Duration
	allow    []string
}

// New returns a Fetcher with opts, defaults filled in.
func New(opts Options) *Fetcher {
	f := &Fetcher{client: opts.Client, maxBytes: opts.MaxBytes, timeout: opts.Timeout}
	if f.maxBytes <= 0 {
		f.maxBytes = DefaultMaxBytes
	}
	if f.timeout <= 0 {
		f.timeout = DefaultTimeout
	}
	if f.client == nil {
		f.client = &http.Client{Timeout: f.timeout, CheckRedirect: sameSchemeRedirects}
	}
	for _, p := range opts.AllowPaths {
		if abs, err := filepath.Abs(p); err == nil {
			f.allow = append(f.allow, filepath.Clean(abs))
		}
	}
	return f
}

// sameSchemeRedirects refuses redirects that change scheme (https → http or
// to file:) and redirect loops.
func sameSchemeRedirects(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	if req.URL.Scheme != via[0].URL.Scheme {
		return fmt.Errorf("refused redirect from %s to %s: scheme changed", via[0].URL.Scheme, req.URL.Scheme)
	}
	return nil
}

// Error is a failed fetch: which location, and why.
type Error struct {
	Location string
	Err      error
}

func (e *Error) Error() string { return fmt.Sprintf("cannot load %s: %v", e.Location, e.Err) }
func (e *Error) Unwrap() error { return e.Err }

// ErrTooLarge is wrapped by errors for documents above MaxBytes.
var ErrTooLarge = errors.New("document too large")

// IsURL reports whether location is an http(s) URL.
func IsURL(location string) bool {
	return strings.HasPrefix(location, "http://") || strings.HasPrefix(location, "https://")
}

// Fetch returns the bytes at location: an http(s) URL, a file: URL or a
// file path.
func (f *Fetcher) Fetch(ctx context.Context, location string) ([]byte, error) {
	data, err := f.fetch(ctx, location)
	if err != nil {
		return nil, &Error{Location: location, Err: err}
	}
	return data, nil
}

func (f *Fetcher) fetch(ctx context.Context, location string) ([]byte, error) {
	if IsURL(location) {
		return f.fetchHTTP(ctx, location)
	}
	path := location
	if strings.HasPrefix(location, "file:") {
		u, err := url.Parse(location)
		if err != nil {
			return nil, err
		}
		path = u.Path
	} else if i := strings.Index(location, "://"); i > 0 && !strings.ContainsAny(location[:i], `/\.`) {
		return nil, fmt.Errorf("unsupported scheme %q (use a file path, file:, http: or https:)", location[:i])
	}
	return f.fetchFile(path)
}

func (f *Fetcher) fetchFile(path string) ([]byte, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	if err := f.allowed(abs); err != nil {
		return nil, err
	}
	file, err := os.Open(abs)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	st, err := file.Stat()
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return nil, errors.New("is a directory")
	}
	return readLimited(file, f.maxBytes)
}

// allowed checks abs (and, for symbolic links, its target) against the
// allowed trees.
func (f *Fetcher) allowed(abs string) error {
	if len(f.allow) == 0 {
		return nil
	}
	paths := []string{abs}
	if real, err := filepath.EvalSymlinks(abs); err == nil && real != abs {
		paths = append(paths, real)
	}
	for _, p := range paths {
		if !f.within(p) {
			return fmt.Errorf("%s is outside the allowed directories (%s); widen them with --allow-path", p, strings.Join(f.allow, ", "))
		}
	}
	return nil
}

func (f *Fetcher) within(p string) bool {
	for _, root := range f.allow {
		if rel, err := filepath.Rel(root, p); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return true
		}
	}
	return false
}

func (f *Fetcher) fetchHTTP(ctx context.Context, location string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, location, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json, application/yaml, text/yaml, */*")
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("HTTP %s", resp.Status)
	}
	if resp.ContentLength > f.maxBytes {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, resp.ContentLength, f.maxBytes)
	}
	return readLimited(resp.Body, f.maxBytes)
}

func readLimited(r io.Reader, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, limit)
	}
	return data, nil
}

// Resolve resolves ref against base, where base is the location of the
// referring document (a file path or a URL) and ref a URI-reference. The
// result is a URL when base or ref is one, else a cleaned file path. A
// fragment on ref is dropped.
func Resolve(base, ref string) (string, error) {
	if i := strings.IndexByte(ref, '#'); i >= 0 {
		ref = ref[:i]
	}
	if IsURL(ref) || ref == "" && IsURL(base) {
		if ref == "" {
			return base, nil
		}
		return ref, nil
	}
	if strings.HasPrefix(ref, "file:") {
		u, err := url.Parse(ref)
		if err != nil {
			return "", fmt.Errorf("bad file URL %q: %w", ref, err)
		}
		return u.Path, nil
	}
	if IsURL(base) {
		b, err := url.Parse(base)
		if err != nil {
			return "", fmt.Errorf("bad base URL %q: %w", base, err)
		}
		r, err := url.Parse(ref)
		if err != nil {
			return "", fmt.Errorf("bad reference %q: %w", ref, err)
		}
		return b.ResolveReference(r).String(), nil
	}
	if ref == "" {
		return base, nil
	}
	// A relative file reference may be percent-encoded (it is a URI-reference).
	if unescaped, err := url.PathUnescape(ref); err == nil {
		ref = unescaped
	}
	if filepath.IsAbs(ref) {
		return filepath.Clean(ref), nil
	}
	return filepath.Join(filepath.Dir(base), ref), nil
}
