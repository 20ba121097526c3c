package fetch

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestFileConfinement: with allowed trees, files outside them — directly,
// through "..", or through a symbolic link — are refused with a message
// naming the way to widen them.
func TestFileConfinement(t *testing.T) {
	root := t.TempDir()
	docs := filepath.Join(root, "docs")
	os.MkdirAll(docs, 0o755)
	os.WriteFile(filepath.Join(docs, "api.yaml"), []byte("openapi: 3.0.3"), 0o644)
	secret := filepath.Join(root, "secret.txt")
	os.WriteFile(secret, []byte("s3cret"), 0o600)
	f := New(Options{AllowPaths: []string{docs}})
	if data, err := f.Fetch(context.Background(), filepath.Join(docs, "api.yaml")); err != nil || string(data) != "openapi: 3.0.3" {
		t.Fatalf("allowed file: %q %v", data, err)
	}
	links := []string{secret, filepath.Join(docs, "..", "secret.txt"), "file://" + secret}
	if err := os.Symlink(secret, filepath.Join(docs, "link.yaml")); err == nil {
		links = append(links, filepath.Join(docs, "link.yaml"))
	}
	for _, loc := range links {
		data, err := f.Fetch(context.Background(), loc)
		if err == nil || !strings.Contains(err.Error(), "outside the allowed directories") || !strings.Contains(err.Error(), "--allow-path") {
			t.Errorf("%s: %q, %v: want refused", loc, data, err)
		}
	}
	if _, err := f.Fetch(context.Background(), "gopher://x/y"); err == nil || !strings.Contains(err.Error(), "unsupported scheme") {
		t.Errorf("gopher: %v", err)
	}
}

func TestSizeLimit(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.yaml")
	os.WriteFile(big, make([]byte, 2048), 0o644)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/declared" {
			w.Header().Set("Content-Length", fmt.Sprint(2<<30))
		}
		chunk := make([]byte, 32<<10)
		for range 1 << 16 { // up to 2 GiB, until the client hangs up
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	f := New(Options{MaxBytes: 1024})
	for _, loc := range []string{big, srv.URL + "/declared", srv.URL + "/streamed"} {
		if _, err := f.Fetch(context.Background(), loc); !errors.Is(err, ErrTooLarge) {
			t.Errorf("%s: %v, want ErrTooLarge", loc, err)
		}
	}
}

func TestTimeLimitAndRedirects(t *testing.T) {
	release := make(chan struct{})
	stall := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer stall.Close()
	defer close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := New(Options{Timeout: 200 * time.Millisecond}).Fetch(ctx, stall.URL); err == nil || ctx.Err() != nil {
		t.Errorf("stalled fetch: %v (run context %v)", err, ctx.Err())
	}

	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "openapi: 3.0.3") }))
	defer plain.Close()
	downgrade := httptest.NewTLSServer(http.RedirectHandler(plain.URL, http.StatusFound))
	defer downgrade.Close()
	f := New(Options{Client: &http.Client{Transport: downgrade.Client().Transport, CheckRedirect: sameSchemeRedirects}})
	if _, err := f.Fetch(ctx, downgrade.URL); err == nil || !strings.Contains(err.Error(), "scheme changed") {
		t.Errorf("https → http redirect: %v", err)
	}
	loop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Path, http.StatusFound)
	}))
	defer loop.Close()
	if _, err := New(Options{}).Fetch(ctx, loop.URL); err == nil || !strings.Contains(err.Error(), "stopped after 10 redirects") {
		t.Errorf("redirect loop: %v", err)
	}
}
