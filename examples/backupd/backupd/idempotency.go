package backupd

import (
	"bytes"
	"net/http"
	"sync"
)

// idempotencyCache remembers the responses to POST requests that carried
// an Idempotency-Key header, like payment and cloud APIs do: a client that
// is unsure whether its request arrived (it crashed, the connection
// dropped) sends it again with the same key and gets the first response
// back instead of a second backup or restore. Keys are scoped to the
// method and path, and kept for the server's lifetime.
type idempotencyCache struct {
	mu   sync.Mutex
	keys map[string]*idempotentCall
}

type idempotentCall struct {
	done   chan struct{}
	status int
	header http.Header
	body   []byte
}

// idempotency wraps next so that a repeated POST with the same
// Idempotency-Key is answered from the cache, marked with the header
// Idempotent-Replayed: true. Concurrent repeats wait for the first.
func (s *Server) idempotency(next http.Handler) http.Handler {
	c := &idempotencyCache{keys: map[string]*idempotentCall{}}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("Idempotency-Key")
		if r.Method != http.MethodPost || key == "" {
			next.ServeHTTP(w, r)
			return
		}
		id := r.Method + " " + r.URL.Path + " " + key
		c.mu.Lock()
		call, seen := c.keys[id]
		if !seen {
			call = &idempotentCall{done: make(chan struct{})}
			c.keys[id] = call
		}
		c.mu.Unlock()
		if seen {
			select {
			case <-call.done:
			case <-r.Context().Done():
				return
			}
			for k, v := range call.header {
				w.Header()[k] = v
			}
			w.Header().Set("Idempotent-Replayed", "true")
			w.WriteHeader(call.status)
			w.Write(call.body)
			return
		}
		rec := &recordingWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		call.status, call.header, call.body = rec.status, w.Header().Clone(), rec.buf.Bytes()
		if call.status >= 500 {
			// A server error is not an answer worth replaying: forget the
			// key so that the retry is processed afresh.
			c.mu.Lock()
			delete(c.keys, id)
			c.mu.Unlock()
		}
		close(call.done)
	})
}

// recordingWriter copies what a handler writes.
type recordingWriter struct {
	http.ResponseWriter
	status int
	buf    bytes.Buffer
}

func (w *recordingWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *recordingWriter) Write(p []byte) (int, error) {
	w.buf.Write(p)
	return w.ResponseWriter.Write(p)
}
