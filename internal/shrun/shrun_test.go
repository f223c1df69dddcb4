package shrun

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// run runs src as a #!/bin/sh script in-process and returns its output
// and status.
func run(t *testing.T, src string, native func(string, []string, io.Writer, io.Writer) (int, bool)) (string, int, error) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "script")
	if err := os.WriteFile(p, []byte(src), 0o755); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	status, err := Script(context.Background(), p, []string{"one", "two"}, Options{Stdout: &out, Stderr: &out, Native: native})
	return out.String(), status, err
}

// dash runs src with the real shell.
func dash(t *testing.T, src string) (string, int) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "script")
	if err := os.WriteFile(p, []byte(src), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(p, "one", "two")
	out, err := cmd.CombinedOutput()
	status := 0
	if ee, ok := err.(*exec.ExitError); ok {
		status = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return strings.ReplaceAll(string(out), p, "SCRIPT"), status
}

// Scripts in initramfs-tools' idiom give the same output and status as
// with dash, including the cases the interpreter alone gets wrong: a
// continue followed by more statements, dash's echo, trap on signals,
// umask, and mkinitramfs's subshell on file descriptors 3 and 4.
func TestSameAsDash(t *testing.T) {
	if _, err := os.Stat("/bin/dash"); err != nil {
		t.Skip("no dash to compare with")
	}
	cases := map[string]string{
		"continue in a nested if": `add() { return 1; }
{ echo "insmod a"; echo "insmod b"; } | while read -r p k o; do
	for fw in $(echo x y); do
		if ! add "$fw"; then
			if [ ! -e /nonexistent ]; then
				continue
			fi
			echo "reached $k $fw"
			continue
		fi
	done
	echo "after $k"
done`,
		"break before ||": `n=0; while true; do n=$((n+1)); if [ $n -lt 9 ]; then [ $n = 3 ] && break || true; fi; done; echo "n=$n"; x=$(umask); echo "${x#0}"`,
		"break in a case": `for i in 1 2 3; do case $i in 2) echo two; break ;; esac; echo "i=$i"; done`,
		"jumps in blocks": `for i in 1 2 3; do { [ $i = 2 ] && continue; echo "a$i"; }; case $i in 3) break; echo no ;; esac; echo "b$i"; done`,
		"break 2 from nested blocks": `for i in 1 2 3; do
	if true; then
		for j in a b c; do
			if [ $j = b ]; then
				[ $i = 2 ] && break 2
				echo "skip $i$j"; continue
			fi
			echo "$i$j"
		done
		echo "end $i"
	fi
	echo "after $i"
done
echo "out $i"`,
		"jumps in a loop's body": `for i in 1 2 3 4; do
	if [ $i = 1 ]; then echo one; continue; fi
	if [ $i = 2 ]; then [ -e / ] && continue; elif [ $i = 4 ]; then break; fi
	echo "i=$i"
done`,
		"echo escapes": `echo 'a\tb\nc'; echo -n x; echo 'd\ce'; echo; echo '\0101'`,
		"trap signals": `trap 'echo bye' EXIT; trap "exit 1" INT TERM; echo hi`,
		"umask":        `umask 0027; umask; f=$(mktemp -u); : > "$f"; stat -c %a "$f"; rm -f "$f"`,
		"fd 3 and 4": `ec1=1
ec2=1
(
exec 3>&1
eval "$(
	exec 4>&1 >&3 3>&-
	{ printf 'b\na\n' 4>&-; echo "ec1=$?;" >&4; } | { LC_ALL=C sort; } | { cat 4>&-; echo "ec2=$?;" >&4; }
)"
echo "ec1=$ec1 ec2=$ec2"
) || exit 1
echo "outside ec1=$ec1"`,
		"local keeps the outer value": `x=outer; f() { local x; echo "in ${x-unset}"; x=inner; }; f; echo "out $x"; g() { local y; echo "${y-unset}"; }; g`,
		"positional and local":        `f() { local a b; a=$1; b=${2:-none}; echo "$a $b $#"; }; f "$@"; f x; echo "$0" | sed 's,.*/,,'`,
		"exit status":                 `false; echo $?; sh -c 'exit 3'; echo $?; exit 4`,
		"set -e in a function":        `f() { set -e; false && true; echo still; set +e; }; f; echo done`,
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			src := "#!/bin/sh\n" + body + "\n"
			want, wantStatus := dash(t, src)
			got, status, err := run(t, src, nil)
			if err != nil {
				t.Fatalf("in-process: %v", err)
			}
			if got != want || status != wantStatus {
				t.Errorf("in-process: status %d, output\n%q\ndash: status %d, output\n%q", status, got, wantStatus, want)
			}
		})
	}
}

// What the interpreter cannot run exactly is ErrUnsupported before any
// of it runs.
func TestUnsupportedBeforeRunning(t *testing.T) {
	lib := filepath.Join(t.TempDir(), "functions")
	os.WriteFile(lib, []byte("f() { for i in 1; do ( break; echo more ); done; }\n"), 0o644)
	for name, src := range map[string]string{
		"bash":                     "#!/bin/bash\ntouch MARK\n",
		"continue in a condition":  "#!/bin/sh\ntouch MARK\nfor i in 1; do if continue; then :; fi; done\n",
		"break in a pipeline":      "#!/bin/sh\ntouch MARK\nfor i in 1; do if true; then echo | break; echo; fi; done\n",
		"fd 3 outside a subshell":  "#!/bin/sh\ntouch MARK\nexec 3>&1\n",
		"[[":                       "#!/bin/sh\ntouch MARK\n[[ -e / ]]\n",
		"umask in a subshell":      "#!/bin/sh\ntouch MARK\n(umask 0022)\n",
		"sources a file it cannot": "#!/bin/sh\ntouch MARK\n. " + lib + "\n",
		"break outside a loop":     "#!/bin/sh\ntouch MARK\nif true; then break; fi\n",
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "script")
			os.WriteFile(p, []byte(src), 0o755)
			_, err := Script(context.Background(), p, nil, Options{Dir: dir, Stdout: io.Discard, Stderr: io.Discard})
			if !errors.Is(err, ErrUnsupported) || errors.Is(err, ErrStopped) {
				t.Fatalf("err = %v, want ErrUnsupported", err)
			}
			if _, err := os.Stat(filepath.Join(dir, "MARK")); err == nil {
				t.Fatal("the script ran")
			}
		})
	}
}

// A sourced file that needs what the interpreter lacks stops the run
// (ErrStopped), and a builtin it lacks too.
func TestStoppedPartWay(t *testing.T) {
	dir := t.TempDir()
	lib := filepath.Join(dir, "lib")
	os.WriteFile(lib, []byte("exec 5>/dev/null\n"), 0o644)
	for name, body := range map[string]string{"sourced": "l=" + lib + "; . $l", "builtin": "ulimit -n"} {
		_, _, err := run(t, "#!/bin/sh\necho start\n"+body+"\necho end\n", nil)
		if !errors.Is(err, ErrStopped) || !errors.Is(err, ErrUnsupported) {
			t.Errorf("%s: err = %v, want ErrStopped", name, err)
		}
	}
}

// Programs the native stand-ins take run in-process, also from a script
// the script runs (a hook) and from command substitutions; arguments a
// stand-in leaves, and relative paths, go to the real program.
func TestNativeStandIns(t *testing.T) {
	dir := t.TempDir()
	hook := filepath.Join(dir, "hook")
	os.WriteFile(hook, []byte("#!/bin/sh -e\nx=$(readlink -f /)\necho \"hook $x $1\"\n"), 0o755)
	var calls []string
	native := func(name string, args []string, out, _ io.Writer) (int, bool) {
		calls = append(calls, name+" "+strings.Join(args, " "))
		if name == "readlink" && args[len(args)-1] == "/" {
			io.WriteString(out, "/native\n")
			return 0, true
		}
		return 0, false
	}
	got, status, err := run(t, "#!/bin/sh\n"+hook+" arg\ncd /\nrealpath -s usr\n", native)
	if err != nil || status != 0 {
		t.Fatalf("status %d, %v: %s", status, err, got)
	}
	if want := "hook /native arg\n/usr\n"; got != want {
		t.Errorf("output %q, want %q", got, want)
	}
	if want := []string{"readlink -f /"}; strings.Join(calls, ";") != strings.Join(want, ";") {
		t.Errorf("native calls %q, want %q (realpath of a relative path goes to the real program)", calls, want)
	}
}
