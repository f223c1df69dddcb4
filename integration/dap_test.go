//go:build integration

package integration

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// dapClient speaks the Debug Adapter Protocol to docker buildx dap build,
// as an editor does.
type dapClient struct {
	t    *testing.T
	in   io.Writer
	msgs chan map[string]any
	seq  int
	mu   sync.Mutex
	log  strings.Builder // the adapter's output events
	kill func()          // ends the adapter (docker and its buildx plugin)
}

// close closes the adapter's input, as an editor that disconnected does,
// and ends the adapter when it has not ended within grace.
func (d *dapClient) close(grace time.Duration) {
	d.t.Helper()
	d.in.(io.Closer).Close()
	if !d.drained(grace) {
		d.kill()
	}
}

// drained reads what the adapter still sends until it closes its output,
// and says whether it did within timeout.
func (d *dapClient) drained(timeout time.Duration) bool {
	deadline := time.After(timeout)
	for {
		select {
		case _, ok := <-d.msgs:
			if !ok {
				return true
			}
		case <-deadline:
			return false
		}
	}
}

func startDAP(t *testing.T, dir string) *dapClient {
	t.Helper()
	cmd := exec.Command("docker", "buildx", "dap", "build")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "BUILDX_EXPERIMENTAL=1")
	// docker runs buildx as a plugin process: end both, or a paused
	// build would hold its step (and the cache mounts) after the test.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	d := &dapClient{t: t, in: in, msgs: make(chan map[string]any, 64)}
	var once sync.Once
	d.kill = func() { once.Do(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); _ = cmd.Wait() }) }
	t.Cleanup(d.kill)
	go d.read(bufio.NewReader(out))
	return d
}

func (d *dapClient) read(r *bufio.Reader) {
	defer close(d.msgs)
	for {
		length := 0
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			line = strings.TrimSpace(line)
			if line == "" {
				break
			}
			if v, ok := strings.CutPrefix(line, "Content-Length: "); ok {
				length, _ = strconv.Atoi(v)
			}
		}
		body := make([]byte, length)
		if _, err := io.ReadFull(r, body); err != nil {
			return
		}
		var m map[string]any
		if json.Unmarshal(body, &m) != nil {
			continue
		}
		if m["event"] == "output" {
			d.mu.Lock()
			d.log.WriteString(fmt.Sprint(m["body"].(map[string]any)["output"]))
			d.mu.Unlock()
			continue
		}
		d.msgs <- m
	}
}

func (d *dapClient) write(m map[string]any) {
	d.t.Helper()
	raw, err := json.Marshal(m)
	if err != nil {
		d.t.Fatal(err)
	}
	if _, err := fmt.Fprintf(d.in, "Content-Length: %d\r\n\r\n%s", len(raw), raw); err != nil {
		d.t.Fatal(err)
	}
}

func (d *dapClient) request(command string, args any) {
	d.t.Helper()
	d.seq++
	d.write(map[string]any{"seq": d.seq, "type": "request", "command": command, "arguments": args})
}

// until returns the first message for which match holds, failing the
// test on a failed response or when none comes in time.
func (d *dapClient) until(what string, timeout time.Duration, match func(m map[string]any) bool) map[string]any {
	d.t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case m, ok := <-d.msgs:
			if !ok {
				d.t.Fatalf("the adapter ended before %s; its output:\n%s", what, tail(d.output(), 30))
			}
			if m["type"] == "response" && m["success"] == false {
				d.t.Fatalf("%s: %v failed: %v", what, m["command"], m["message"])
			}
			if match(m) {
				return m
			}
		case <-deadline:
			d.t.Fatalf("no %s within %s; the adapter's output:\n%s", what, timeout, tail(d.output(), 30))
		}
	}
}

// ends waits for the adapter to close its output, failing the test when it
// does not in time.
func (d *dapClient) ends(timeout time.Duration) {
	d.t.Helper()
	if !d.drained(timeout) {
		d.t.Fatalf("the adapter did not end within %s", timeout)
	}
}

func (d *dapClient) output() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.log.String()
}

func response(command string) func(map[string]any) bool {
	return func(m map[string]any) bool { return m["type"] == "response" && m["command"] == command }
}

func event(name string) func(map[string]any) bool {
	return func(m map[string]any) bool { return m["type"] == "event" && m["event"] == name }
}

// docker buildx dap build works with the frontend, as an editor drives
// it: a breakpoint on a stage's line in manifest.json stops at that stage
// (the frame is the stage's step, at that line), and the debugger's shell
// (evaluate "exec", attached through runInTerminal) opens in that step,
// before it runs, and sees the tree the stages before it made; continuing
// finishes the build, and the adapter ends. (buildx names the frame's
// line in its banner, or 0 when it has lost the frame; the shell is the
// paused step's either way.)
func TestDAPBreakpointOnAStageLine(t *testing.T) {
	d, line, body := dapStopAtUsers(t)
	d.request("stackTrace", map[string]any{"threadId": body["threadId"]})
	frames := d.until("stackTrace", time.Minute, response("stackTrace"))["body"].(map[string]any)["stackFrames"].([]any)
	frame := frames[0].(map[string]any)
	if frame["name"] != "[tree] org.osbuild.users" || frame["line"] != float64(line) {
		t.Fatalf("stopped in %v at line %v, want [tree] org.osbuild.users at line %d", frame["name"], frame["line"], line)
	}
	d.request("evaluate", map[string]any{"expression": "exec", "frameId": frame["id"], "context": "repl"})
	rit := d.until("runInTerminal", time.Minute, func(m map[string]any) bool { return m["type"] == "request" && m["command"] == "runInTerminal" })
	d.write(map[string]any{"seq": 1000, "type": "response", "request_seq": rit["seq"], "success": true, "command": "runInTerminal", "body": map[string]any{}})
	var args []string
	for _, a := range rit["arguments"].(map[string]any)["args"].([]any) {
		args = append(args, a.(string))
	}
	term := startOnTerminal(t, args[0], args[1:]...)
	term.expect(t, "Running /bin/sh in build container from line ", time.Minute)
	term.expect(t, "# ", time.Minute)
	term.send(t, `getent group admins; echo "alice=$(grep -c '^alice:' /etc/passwd)"; echo "EXEC-DONE"; exit`)
	term.expect(t, "EXEC-DONE\r", time.Minute)
	// The step before it runs: the groups stage's group, not yet the user.
	wantContains(t, "the debugger's shell", term.output(), "admins:x:2000:", "alice=0\r")
	term.wait(t)
	d.until("evaluate", time.Minute, response("evaluate"))
	d.request("continue", map[string]any{"threadId": body["threadId"]})
	d.until("the end of the build", 10*time.Minute, event("terminated"))
	exited := d.until("the adapter's exit", time.Minute, event("exited"))
	if code := exited["body"].(map[string]any)["exitCode"]; code != float64(0) {
		t.Errorf("the build ended with %v, want 0", code)
	}
	d.ends(time.Minute)
}

// dapStopAtUsers launches docker buildx dap build on the configuration
// test manifest with a breakpoint on its users stage's line, and waits
// for the stop there; it returns the stopped event's body.
func dapStopAtUsers(t *testing.T) (d *dapClient, line int, stopped map[string]any) {
	t.Helper()
	manifest := withSyntaxKey(t, manifestFile(t, "integration/testdata/debian-config.json"))
	data, err := os.ReadFile(manifest)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(string(data), "\n") {
		if strings.Contains(l, `"type": "org.osbuild.users"`) {
			line = i + 1
		}
	}
	d = startDAP(t, filepath.Dir(manifest))
	d.request("initialize", map[string]any{"clientID": "osbuildkit-test", "adapterID": "dockerfile", "linesStartAt1": true, "columnsStartAt1": true, "supportsRunInTerminalRequest": true})
	d.until("initialize", time.Minute, response("initialize"))
	d.request("launch", map[string]any{"dockerfile": manifest, "contextPath": filepath.Dir(manifest)})
	d.until("launch", time.Minute, response("launch"))
	d.request("setBreakpoints", map[string]any{"source": map[string]any{"path": manifest}, "breakpoints": []any{map[string]any{"line": line}}})
	d.until("setBreakpoints", time.Minute, response("setBreakpoints"))
	d.request("configurationDone", map[string]any{})
	body := d.until("the stop at the breakpoint", 20*time.Minute, event("stopped"))["body"].(map[string]any)
	if body["reason"] != "breakpoint" {
		t.Fatalf("stopped for %v, want the breakpoint", body["reason"])
	}
	return d, line, body
}

// An editor that disconnects while the build is paused gets its answer;
// once it has closed the adapter (closing its input, and ending it when
// it does not end: buildx 0.38 leaves a paused build's adapter running
// after a disconnect), BuildKit's history has the build ended, not
// completed, and holding no step.
func TestDAPDisconnectWhilePaused(t *testing.T) {
	d, _, _ := dapStopAtUsers(t)
	d.request("disconnect", map[string]any{"terminateDebuggee": true})
	d.until("disconnect", time.Minute, response("disconnect"))
	d.close(10 * time.Second)
	name := "with-syntax.json"
	for end := time.Now().Add(time.Minute); ; time.Sleep(time.Second) {
		rec := latestBuild(t)
		if !strings.HasSuffix(rec.Name, name) {
			t.Fatalf("the newest build in the history is %q, want the debugged %s", rec.Name, name)
		}
		if rec.Status != "Running" {
			if rec.Status == "Completed" {
				t.Errorf("the disconnected build completed")
			}
			return
		}
		if time.Now().After(end) {
			t.Fatalf("the disconnected build is still %s a minute after the adapter ended", rec.Status)
		}
	}
}
