package standin

import (
	"bytes"
	"debug/elf"
	"io"
	"strings"
)

// nativeModinfo is `modinfo [-k VERSION] -F firmware MODULE.ko`: the
// module's firmware entries, from its ELF .modinfo section, in order.
func nativeModinfo(args []string, out io.Writer) error {
	var field, module string
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case (a == "-k" || a == "-F") && i+1 < len(args):
			if a == "-F" {
				field = args[i+1]
			}
			i++
		case !strings.HasPrefix(a, "-") && module == "":
			module = a
		default:
			return errNotMine
		}
	}
	if field != "firmware" || !strings.Contains(module, "/") || !strings.HasSuffix(module, ".ko") {
		return errNotMine
	}
	f, err := elf.Open(module)
	if err != nil {
		return errNotMine
	}
	defer f.Close()
	sec := f.Section(".modinfo")
	if sec == nil {
		return errNotMine
	}
	data, err := sec.Data()
	if err != nil {
		return errNotMine
	}
	var b bytes.Buffer
	for _, entry := range bytes.Split(data, []byte{0}) {
		if v, ok := bytes.CutPrefix(entry, []byte(field+"=")); ok {
			b.Write(v)
			b.WriteByte('\n')
		}
	}
	_, err = out.Write(b.Bytes())
	return err
}
