// Package flowgd is a small stand-in for FlowG's online backup and restore
// HTTP API: three SQLite-backed key-value stores (auth, config, logs) that
// can be downloaded as binary snapshots and merged back from an upload,
// behind personal-access-token or login (JWT) authentication.
package flowgd

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"time"
)

// Config configures a Server. The zero value is usable: a temporary data
// directory, user admin/admin, no personal access tokens.
type Config struct {
	// DataDir holds auth.db, config.db and logs.db. Existing files are
	// reused; missing ones are created and seeded. Empty means a fresh
	// temporary directory, removed by Close.
	DataDir string
	// Users maps user names to passwords accepted by POST /api/v1/auth/login.
	// Nil means {"admin": "admin"}.
	Users map[string]string
	// PersonalAccessTokens maps token secrets (without the "pat_" prefix)
	// to the user they act as.
	PersonalAccessTokens map[string]string
	// JWTSecret signs login tokens. Nil means a random per-server secret.
	JWTSecret []byte
	// TokenTTL is how long a login token stays valid. Zero means one hour.
	TokenTTL time.Duration
	// MaxUploadBytes caps a restore upload. Zero means 256 MiB.
	MaxUploadBytes int64
	// ErrorLog receives server-side failures. Nil means log.Default().
	ErrorLog *log.Logger
	// Now is the clock, for tests. Nil means time.Now.
	Now func() time.Time
}

// Server serves the FlowG backup and restore API. It is safe for
// concurrent use.
type Server struct {
	cfg      Config
	dataDir  string
	ownsDir  bool
	tmpDir   string
	stores   map[string]*kvStore
	mux      *http.ServeMux
	openapi  []byte
	closeErr error
	once     sync.Once
}

// New opens (or creates and seeds) the three stores and builds the handler.
func New(cfg Config) (*Server, error) {
	if cfg.Users == nil {
		cfg.Users = map[string]string{"admin": "admin"}
	}
	if cfg.JWTSecret == nil {
		cfg.JWTSecret = make([]byte, 32)
		rand.Read(cfg.JWTSecret) // crypto/rand.Read never fails on supported platforms
	}
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = time.Hour
	}
	if cfg.MaxUploadBytes <= 0 {
		cfg.MaxUploadBytes = 256 << 20
	}
	if cfg.ErrorLog == nil {
		cfg.ErrorLog = log.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	spec, err := openAPIJSON()
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, dataDir: cfg.DataDir, stores: map[string]*kvStore{}, openapi: spec}
	if s.dataDir == "" {
		dir, err := os.MkdirTemp("", "flowgd-data-*")
		if err != nil {
			return nil, fmt.Errorf("create temporary data dir (set Config.DataDir instead): %w", err)
		}
		s.dataDir, s.ownsDir = dir, true
	} else if err := os.MkdirAll(s.dataDir, 0o755); err != nil {
		return nil, fmt.Errorf("create data dir %s: %w", s.dataDir, err)
	}
	// Snapshots and uploads are staged beside the stores, so a snapshot
	// never crosses file systems and Close can sweep leftovers.
	s.tmpDir = filepath.Join(s.dataDir, "tmp")
	if err := os.MkdirAll(s.tmpDir, 0o755); err != nil {
		s.Close()
		return nil, fmt.Errorf("create staging dir %s: %w", s.tmpDir, err)
	}
	users := make([]string, 0, len(cfg.Users))
	for u := range cfg.Users {
		users = append(users, u)
	}
	sort.Strings(users)
	ctx := context.Background()
	for _, name := range storeNames {
		st, err := openStore(ctx, name, storePath(s.dataDir, name))
		if err != nil {
			s.Close()
			return nil, err
		}
		s.stores[name] = st
		if empty, err := st.empty(ctx); err != nil {
			s.Close()
			return nil, fmt.Errorf("inspect %s store: %w", name, err)
		} else if empty {
			if err := st.putMany(ctx, seedData(name, users)); err != nil {
				s.Close()
				return nil, fmt.Errorf("seed %s store: %w", name, err)
			}
		}
	}

	s.mux = http.NewServeMux()
	s.mux.HandleFunc("GET /openapi.json", s.handleOpenAPI)
	s.mux.HandleFunc("POST /api/v1/auth/login", s.handleLogin)
	s.mux.Handle("GET /api/v1/backup/{store}", s.requireAuth(s.handleBackup))
	s.mux.Handle("POST /api/v1/restore/{store}", s.requireAuth(s.handleRestore))
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such endpoint: "+r.Method+" "+r.URL.Path+" (see /openapi.json)")
	})
	return s, nil
}

// Handler returns the HTTP handler serving the API.
func (s *Server) Handler() http.Handler { return s.mux }

// DataDir returns the directory holding the store files.
func (s *Server) DataDir() string { return s.dataDir }

// Close closes the stores and, if New created the data directory, removes
// it. It is safe to call more than once.
func (s *Server) Close() error {
	s.once.Do(func() {
		var errs []error
		for _, st := range s.stores {
			errs = append(errs, st.db.Close())
		}
		if s.ownsDir {
			errs = append(errs, os.RemoveAll(s.dataDir))
		} else if s.tmpDir != "" {
			errs = append(errs, os.RemoveAll(s.tmpDir))
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

func (s *Server) store(name string) (*kvStore, error) {
	st, ok := s.stores[name]
	if !ok {
		return nil, fmt.Errorf("unknown store %q: want one of %v", name, storeNames)
	}
	return st, nil
}

// Stores returns the store names: auth, config, logs.
func (s *Server) Stores() []string { return slices.Clone(storeNames) }

// Keys returns the keys of a store in sorted order.
func (s *Server) Keys(store string) ([]string, error) {
	st, err := s.store(store)
	if err != nil {
		return nil, err
	}
	return st.keys(context.Background())
}

// Get returns the value of key in store and whether it exists.
func (s *Server) Get(store, key string) ([]byte, bool, error) {
	st, err := s.store(store)
	if err != nil {
		return nil, false, err
	}
	return st.get(context.Background(), key)
}

// Put sets key to value in store.
func (s *Server) Put(store, key string, value []byte) error {
	st, err := s.store(store)
	if err != nil {
		return err
	}
	return st.put(context.Background(), key, value)
}

// Delete removes key from store; removing a missing key is not an error.
func (s *Server) Delete(store, key string) error {
	st, err := s.store(store)
	if err != nil {
		return err
	}
	return st.delete(context.Background(), key)
}

// Digest returns the sha256 (hex) of a store's logical content: its sorted
// keys and values. It equals [SnapshotDigest] of a backup of that store.
func (s *Server) Digest(store string) (string, error) {
	st, err := s.store(store)
	if err != nil {
		return "", err
	}
	return digestDB(context.Background(), st.db)
}

// ---- HTTP handlers ----

type errorBody struct {
	Success bool   `json:"success"`
	Error   string `json:"error"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // keep "&" in nextLink URLs readable
	enc.Encode(v)            // a failed write means the client left; nothing to do
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, errorBody{Success: false, Error: msg})
}

func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(s.openapi)
}

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	if err := dec.Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "request body must be JSON {\"username\": …, \"password\": …}: "+err.Error())
		return
	}
	want, ok := s.cfg.Users[req.Username]
	// Compare even for unknown users so timing does not reveal which exist.
	match := constantTimeEqual(req.Password, want)
	if !ok || !match || req.Username == "" {
		writeError(w, http.StatusUnauthorized, "invalid username or password")
		return
	}
	tok := issueJWT(s.cfg.JWTSecret, req.Username, s.cfg.Now(), s.cfg.TokenTTL)
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "token": prefixJWT + "_" + tok})
}

// authenticate returns the user a request acts as.
func (s *Server) authenticate(r *http.Request) (string, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", errors.New("missing Authorization header: send \"Bearer pat_<token>\" or \"Bearer jwt_<token>\" (from POST /api/v1/auth/login)")
	}
	kind, secret, ok := parseBearer(h)
	if !ok {
		return "", errors.New("unsupported Authorization header: send \"Bearer pat_<token>\" or \"Bearer jwt_<token>\"")
	}
	switch kind {
	case prefixPAT:
		for tok, user := range s.cfg.PersonalAccessTokens {
			if constantTimeEqual(secret, tok) {
				return user, nil
			}
		}
		return "", errors.New("unknown personal access token")
	default:
		user, err := verifyJWT(s.cfg.JWTSecret, secret, s.cfg.Now())
		if err != nil {
			return "", err
		}
		if _, ok := s.cfg.Users[user]; !ok {
			return "", errors.New("the token's user no longer exists")
		}
		return user, nil
	}
}

func (s *Server) requireAuth(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := s.authenticate(r); err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="flowg"`)
			writeError(w, http.StatusUnauthorized, err.Error())
			return
		}
		next(w, r)
	})
}

func (s *Server) handleBackup(w http.ResponseWriter, r *http.Request) {
	st, err := s.store(r.PathValue("store"))
	if err != nil {
		writeError(w, http.StatusNotFound, err.Error())
		return
	}
	dir, err := os.MkdirTemp(s.tmpDir, "backup-*")
	if err != nil {
		s.cfg.ErrorLog.Printf("flowgd: backup %s: %v", st.name, err)
		writeError(w, http.StatusInternalServerError, "cannot stage the snapshot; check the data dir's free space and permissions")
		return
	}
	defer os.RemoveAll(dir)
	snap := filepath.Join(dir, st.name+".db")
	if err := st.snapshot(r.Context(), snap); err != nil {
		s.cfg.ErrorLog.Printf("flowgd: %v", err)
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	f, err := os.Open(snap)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "open snapshot: "+err.Error())
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		writeError(w, http.StatusInternalServerError, "stat snapshot: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	// Store names are fixed identifiers, so quoting by hand is safe.
	w.Header().Set("Content-Disposition", `attachment; filename="`+st.name+`.db"`)
	w.Header().Set("Content-Length", fmt.Sprint(fi.Size()))
	if _, err := io.Copy(w, f); err != nil {
		// Headers are gone; the client sees a short body.
		s.cfg.ErrorLog.Printf("flowgd: stream %s backup: %v", st.name, err)
	}
}

func (s *Server) handleRestore(w http.ResponseWriter, r *http.Request) {
	st, err := s.store(r.PathValue("store"))
	if err != nil {
		writeError(w, http.StatusNotFound, err.Error())
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxUploadBytes)
	mr, err := r.MultipartReader()
	if err != nil {
		writeError(w, http.StatusBadRequest, "request must be multipart/form-data with the backup file in field \"backup\": "+err.Error())
		return
	}
	dir, err := os.MkdirTemp(s.tmpDir, "restore-*")
	if err != nil {
		s.cfg.ErrorLog.Printf("flowgd: restore %s: %v", st.name, err)
		writeError(w, http.StatusInternalServerError, "cannot stage the upload; check the data dir's free space and permissions")
		return
	}
	defer os.RemoveAll(dir)
	upload := filepath.Join(dir, "upload.db")
	found := false
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			writeError(w, http.StatusBadRequest, "read multipart body: "+err.Error())
			return
		}
		if part.FormName() != "backup" || found {
			part.Close()
			continue
		}
		f, err := os.Create(upload)
		if err != nil {
			writeError(w, http.StatusInternalServerError, "stage upload: "+err.Error())
			return
		}
		_, cerr := io.Copy(f, part)
		ferr := f.Close()
		part.Close()
		if cerr != nil {
			var tooBig *http.MaxBytesError
			if errors.As(cerr, &tooBig) {
				writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("backup upload exceeds %d bytes", s.cfg.MaxUploadBytes))
				return
			}
			writeError(w, http.StatusBadRequest, "read backup upload: "+cerr.Error())
			return
		}
		if ferr != nil {
			writeError(w, http.StatusInternalServerError, "stage upload: "+ferr.Error())
			return
		}
		found = true
	}
	if !found {
		writeError(w, http.StatusBadRequest, "missing file field \"backup\" in the multipart form")
		return
	}
	if _, err := st.mergeFrom(r.Context(), upload); err != nil {
		if errors.Is(err, errInvalidBackup) {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		s.cfg.ErrorLog.Printf("flowgd: %v", err)
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true})
}
