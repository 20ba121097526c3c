package backupd

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Handler returns the HTTP API: /v1/… (bearer token required),
// /openapi.json and /openapi.yaml (the API description) and /healthz.
func (s *Server) Handler() http.Handler {
	v1 := http.NewServeMux()
	v1.HandleFunc("GET /v1/databases", s.handleListDatabases)
	v1.HandleFunc("GET /v1/databases/{databaseId}", s.withDatabase(s.handleGetDatabase))
	v1.HandleFunc("POST /v1/databases/{databaseId}/restore", s.withDatabase(s.handleRestoreDatabase))
	v1.HandleFunc("GET /v1/databases/{databaseId}/restores/{restoreId}", s.withDatabase(s.handleGetRestore))
	v1.HandleFunc("POST /v1/databases/{databaseId}/backups", s.withDatabase(s.handleCreateBackup))
	v1.HandleFunc("GET /v1/databases/{databaseId}/backups", s.withDatabase(s.handleListBackups))
	v1.HandleFunc("GET /v1/databases/{databaseId}/backups/{backupId}", s.withDatabase(s.handleGetBackup))
	v1.HandleFunc("DELETE /v1/databases/{databaseId}/backups/{backupId}", s.withDatabase(s.handleDeleteBackup))
	v1.HandleFunc("POST /v1/databases/{databaseId}/backups/{backupId}/verify", s.withDatabase(s.handleVerifyBackup))
	v1.HandleFunc("POST /v1/databases/{databaseId}/backups/{backupId}/restore", s.withDatabase(s.handleRestoreBackup))
	v1.HandleFunc("POST /v1/databases/{databaseId}/migrations", s.withDatabase(s.handleApplyMigration))
	v1.HandleFunc("GET /v1/databases/{databaseId}/migrations", s.withDatabase(s.handleListMigrations))
	v1.HandleFunc("GET /v1/databases/{databaseId}/migrations/{migrationId}", s.withDatabase(s.handleGetMigration))
	v1.HandleFunc("/v1/", notFound)

	mux := http.NewServeMux()
	mux.Handle("/v1/", s.v1Middleware(s.idempotency(v1)))
	mux.HandleFunc("GET /openapi.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(s.openapi)
	})
	mux.HandleFunc("GET /openapi.yaml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/yaml")
		w.Write(openAPIYAML)
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("/", notFound)
	return mux
}

func notFound(w http.ResponseWriter, r *http.Request) {
	writeError(w, errf(http.StatusNotFound, "not_found", "no endpoint %s %s (see /openapi.json)", r.Method, r.URL.Path))
}

// v1Middleware applies the injected delays and headers, then checks the
// bearer token.
func (s *Server) v1Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f := s.Faults()
		if f.ResponseDelay > 0 {
			t := time.NewTimer(f.ResponseDelay)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		if f.RetryAfter > 0 {
			w.Header().Set("Retry-After", retryAfterSeconds(f.RetryAfter))
		}
		s.mu.Lock()
		closed := s.closed
		s.mu.Unlock()
		if closed {
			writeError(w, errf(http.StatusServiceUnavailable, "shutting_down", "the server is shutting down"))
			return
		}
		auth := r.Header.Get("Authorization")
		scheme, token, _ := strings.Cut(auth, " ")
		if !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(token)), []byte(s.cfg.Token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="backupd"`)
			msg := "missing or invalid bearer token: send the header Authorization: Bearer <token>"
			if auth == "" {
				msg = "no Authorization header: send Authorization: Bearer <token>"
			}
			writeError(w, errf(http.StatusUnauthorized, "unauthorized", "%s", msg))
			return
		}
		next.ServeHTTP(w, r)
	})
}

func retryAfterSeconds(d time.Duration) string {
	secs := int((d + time.Second - 1) / time.Second)
	if secs < 1 {
		secs = 1
	}
	return strconv.Itoa(secs)
}

// withDatabase answers 404 for any databaseId but the served one.
func (s *Server) withDatabase(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if id := r.PathValue("databaseId"); id != s.cfg.DatabaseID {
			writeError(w, errf(http.StatusNotFound, "database_not_found", "database %q not found; this server serves %q", id, s.cfg.DatabaseID))
			return
		}
		h(w, r)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// writeError writes {"error": {"code", "message", "suggestions"?}}.
func writeError(w http.ResponseWriter, err error) {
	var e *apiError
	if !errors.As(err, &e) {
		e = &apiError{status: http.StatusInternalServerError, code: "internal", msg: err.Error()}
	}
	body := map[string]any{"code": e.code, "message": e.msg}
	if len(e.suggestions) > 0 {
		body["suggestions"] = e.suggestions
	}
	writeJSON(w, e.status, map[string]any{"error": body})
}

// decodeBody reads an optional JSON object body into v.
func decodeBody(r *http.Request, v any) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20+1))
	if err != nil {
		return errf(http.StatusBadRequest, "invalid_request", "cannot read the request body: %v", err)
	}
	if len(body) > 1<<20 {
		return errf(http.StatusRequestEntityTooLarge, "invalid_request", "the request body is larger than 1 MiB")
	}
	if len(bytes.TrimSpace(body)) == 0 || string(bytes.TrimSpace(body)) == "null" {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return errf(http.StatusBadRequest, "invalid_request", "the request body is not the expected JSON object: %v", err)
	}
	return nil
}

func (s *Server) handleListDatabases(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"data":       []Database{s.database(r.Context())},
		"pagination": map[string]any{"nextCursor": nil, "hasMore": false},
	})
}

func (s *Server) handleGetDatabase(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.database(r.Context()))
}

func (s *Server) handleCreateBackup(w http.ResponseWriter, r *http.Request) {
	var req backupRequest
	if err := decodeBody(r, &req); err != nil {
		writeError(w, err)
		return
	}
	b, err := s.createBackup(req)
	if err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("Location", "/v1/databases/"+b.DatabaseID+"/backups/"+b.ID)
	writeJSON(w, http.StatusAccepted, b)
}

func (s *Server) handleListBackups(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	drop := s.faults.DropListCalls > 0
	if drop {
		s.faults.DropListCalls--
	}
	throttle := !drop && s.faults.ThrottleListCalls > 0
	if throttle {
		s.faults.ThrottleListCalls--
	}
	retry := s.faults.RetryAfter
	s.mu.Unlock()
	if drop {
		// Close the connection without any response, as a crashed proxy
		// would; the client sees EOF / connection reset.
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			conn.Close()
			return
		}
		writeError(w, errf(http.StatusServiceUnavailable, "connection_dropped", "injected fault: this connection cannot be hijacked, so the drop became a 503"))
		return
	}
	if throttle {
		if retry <= 0 {
			retry = time.Second
		}
		w.Header().Set("Retry-After", retryAfterSeconds(retry))
		writeError(w, errf(http.StatusTooManyRequests, "rate_limited", "injected fault: too many requests, retry after %s", retryAfterSeconds(retry)+"s"))
		return
	}

	q := r.URL.Query()
	limit := 20
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			writeError(w, errf(http.StatusBadRequest, "invalid_request", "limit must be an integer from 1 to 100, got %q", v))
			return
		}
		limit = n
	}
	all := s.listBackups()
	if st := q.Get("status"); st != "" {
		var kept []Backup
		for _, b := range all {
			if b.Status == st {
				kept = append(kept, b)
			}
		}
		all = kept
	}
	start := 0
	if c := q.Get("cursor"); c != "" {
		start = -1
		for i, b := range all {
			if b.ID == c {
				start = i + 1
				break
			}
		}
		if start < 0 {
			writeError(w, errf(http.StatusBadRequest, "invalid_request", "cursor %q is not a backup id of this list (use pagination.nextCursor of the previous page)", c))
			return
		}
	}
	end := min(start+limit, len(all))
	page := append([]Backup{}, all[start:end]...)
	var next any
	if end < len(all) && end > 0 {
		next = all[end-1].ID
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"data":       page,
		"pagination": map[string]any{"nextCursor": next, "hasMore": end < len(all), "limit": limit, "total": len(all)},
	})
}

func (s *Server) handleGetBackup(w http.ResponseWriter, r *http.Request) {
	b, err := s.getBackup(r.PathValue("backupId"))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, b)
}

func (s *Server) handleDeleteBackup(w http.ResponseWriter, r *http.Request) {
	if err := s.deleteBackup(r.PathValue("backupId")); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// passphraseBody is the optional body of verify and restore calls.
type passphraseBody struct {
	Passphrase string `json:"passphrase"`
}

func (s *Server) handleVerifyBackup(w http.ResponseWriter, r *http.Request) {
	var body passphraseBody
	if err := decodeBody(r, &body); err != nil {
		writeError(w, err)
		return
	}
	id := r.PathValue("backupId")
	v, err := s.verifyBackup(id, body.Passphrase)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		BackupID string `json:"backupId"`
		Verification
	}{id, v})
}

func (s *Server) handleRestoreBackup(w http.ResponseWriter, r *http.Request) {
	var body passphraseBody
	if err := decodeBody(r, &body); err != nil {
		writeError(w, err)
		return
	}
	s.acceptRestore(w, r.PathValue("backupId"), body.Passphrase)
}

func (s *Server) handleRestoreDatabase(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Source *struct {
			BackupID   string `json:"backupId"`
			DatabaseID string `json:"databaseId"`
		} `json:"source"`
		Passphrase string `json:"passphrase"`
	}
	if err := decodeBody(r, &body); err != nil {
		writeError(w, err)
		return
	}
	if body.Source == nil || body.Source.BackupID == "" {
		writeError(w, errf(http.StatusBadRequest, "invalid_request", `the body must name the backup to restore: {"source": {"backupId": "…"}}`))
		return
	}
	if id := body.Source.DatabaseID; id != "" && id != s.cfg.DatabaseID {
		writeError(w, errf(http.StatusNotFound, "database_not_found", "source database %q not found; this server serves %q", id, s.cfg.DatabaseID))
		return
	}
	s.acceptRestore(w, body.Source.BackupID, body.Passphrase)
}

func (s *Server) acceptRestore(w http.ResponseWriter, backupID, passphrase string) {
	rs, err := s.startRestore(backupID, passphrase)
	if err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("Location", fmt.Sprintf("/v1/databases/%s/restores/%s", rs.DatabaseID, rs.ID))
	writeJSON(w, http.StatusAccepted, rs)
}

func (s *Server) handleGetRestore(w http.ResponseWriter, r *http.Request) {
	rs, err := s.getRestore(r.PathValue("restoreId"))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, rs)
}
