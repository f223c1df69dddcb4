//go:build integration

package integration

import (
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// faultServer serves files that misbehave: the first request for a path
// gets the fault, later ones the real content.
type faultServer struct {
	*httptest.Server
	mu      sync.Mutex
	content map[string][]byte
	hits    map[string]int
	// release ends hanging requests.
	release chan struct{}
}

func newFaultServer(t *testing.T) *faultServer {
	s := &faultServer{content: map[string][]byte{}, hits: map[string]int{}, release: make(chan struct{})}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(func() {
		close(s.release)
		s.Close()
	})
	return s
}

// file registers content unique to this test (BuildKit caches downloads by
// checksum) and returns its URL under the fault's path and its checksum.
func (s *faultServer) file(t *testing.T, fault string) (url, sum string, content []byte) {
	content = fmt.Appendf(nil, "%s %s %d\n", t.Name(), fault, time.Now().UnixNano())
	path := "/" + fault + "/" + strings.ReplaceAll(t.Name(), "/", "-")
	s.mu.Lock()
	s.content[path] = content
	s.mu.Unlock()
	return s.URL + path, fmt.Sprintf("sha256:%x", sha256.Sum256(content)), content
}

func (s *faultServer) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	content, ok := s.content[r.URL.Path]
	s.hits[r.URL.Path]++
	first := s.hits[r.URL.Path] == 1
	s.mu.Unlock()
	fault, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	switch {
	case fault == "hang": // any path below it: headers never come
		select {
		case <-r.Context().Done():
		case <-s.release:
		}
	case !ok || fault == "missing":
		http.NotFound(w, r)
	case fault == "truncated" && first:
		// Promise the whole file, send half, drop the connection.
		w.Header().Set("Content-Length", fmt.Sprint(len(content)))
		w.WriteHeader(http.StatusOK)
		w.Write(content[:len(content)/2])
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			conn.Close()
		}
	case fault == "wrong" && first:
		w.Write([]byte("not what the manifest expects\n"))
	default:
		w.Write(content)
	}
}

// sourceManifest is osbuild's doc-3 example fetching url as its curl file.
func sourceManifest(t *testing.T, url, sum string) string {
	return manifestFile(t, "manifest/testdata/osbuild-docs/doc-3.json", func(s string) string {
		s = strings.ReplaceAll(s, webURL+"/curl-source-file.txt", url)
		return strings.ReplaceAll(s, "sha256:29ddbe330656a28c0cd1f77332464b74146b32765bc9194112fdc0ffdade8727", sum)
	})
}

func TestSourceNotFound(t *testing.T) {
	srv := newFaultServer(t)
	for _, w := range ways {
		t.Run(w.name, func(t *testing.T) {
			url, sum, _ := srv.file(t, "missing")
			out := w.build(t, sourceManifest(t, url, sum), filepath.Join(t.TempDir(), "out"), buildOpts{want: 1})
			wantContains(t, "output", out, "downloading "+url+": the server answered 404 Not Found")
		})
	}
}

// A server that accepts the connection and never answers fails the build
// after the source timeout, naming the URL and how to raise the limit.
func TestSourceHangingServerTimesOut(t *testing.T) {
	srv := newFaultServer(t)
	flags := map[string]string{"osbuildkit": "--source-timeout", "buildctl": "source-timeout=", "buildx": "OSBUILDKIT_SOURCE_TIMEOUT="}
	for _, w := range ways {
		t.Run(w.name, func(t *testing.T) {
			url, sum, _ := srv.file(t, "hang")
			done := make(chan string, 1)
			go func() {
				done <- w.build(t, sourceManifest(t, url, sum), filepath.Join(t.TempDir(), "out"), buildOpts{want: 1, sourceTimeout: "3s"})
			}()
			select {
			case out := <-done:
				wantContains(t, "output", out, "downloading "+url, "no complete answer within 3s", flags[w.name])
			case <-time.After(3 * time.Minute): // a guard against hanging the suite, not a speed check
				t.Fatal("the build still runs three minutes after a 3s source timeout")
			}
		})
	}
}

// A download cut short or with the wrong content fails the build and is not
// cached: once the server sends the right file, the same manifest builds
// and has the file's real content.
func TestSourceFaultIsNotCached(t *testing.T) {
	srv := newFaultServer(t)
	for _, fault := range []struct{ name, says string }{{"truncated", "the connection closed before the whole file arrived"}, {"wrong", "checksum mismatch"}} {
		for _, w := range ways {
			t.Run(fault.name+"/"+w.name, func(t *testing.T) {
				url, sum, content := srv.file(t, fault.name)
				manifest := sourceManifest(t, url, sum)
				out := w.build(t, manifest, filepath.Join(t.TempDir(), "out"), buildOpts{want: 1})
				wantContains(t, "output", out, "downloading "+url, fault.says)
				dir := filepath.Join(t.TempDir(), "out")
				w.build(t, manifest, dir, buildOpts{})
				checkFile(t, filepath.Join(dir, "resources/curl-file"), content, 0o644, 0, 0)
			})
		}
	}
}

// The stage timeout cancels a stage that hangs, through all three ways:
// debootstrap against a mirror that never answers.
func TestStageTimeoutCancelsHungStage(t *testing.T) {
	srv := newFaultServer(t)
	for _, w := range ways {
		t.Run(w.name, func(t *testing.T) {
			url, _, _ := srv.file(t, "hang")
			manifest := manifestFile(t, "integration/testdata/failing-stage.json", func(string) string {
				return fmt.Sprintf(`{"version": "2", "pipelines": [{"name": "tree", "stages": [
					{"type": "org.osbuild.debootstrap", "options": {"suite": "bookworm", "mirror": %q}}]}]}`, url)
			})
			outDir := filepath.Join(t.TempDir(), "out")
			start := time.Now()
			out := w.build(t, manifest, outDir, buildOpts{want: 1, stageTimeout: "20s"})
			wantContains(t, "output", out, "[tree] org.osbuild.debootstrap ran longer than the stage timeout (20s) and was cancelled")
			if d := time.Since(start); d > 3*time.Minute { // a guard, not a speed check
				t.Errorf("the build ended %s after it started, with a 20s stage timeout", d)
			}
			if entries, _ := os.ReadDir(outDir); len(entries) != 0 {
				t.Errorf("something was exported: %v", entries)
			}
		})
	}
}
