#!/bin/sh
# Builds a tiny initramfs for the end-to-end test: busybox, the kernel
# modules for dummy_hcd + a configfs USB MIDI + HID gadget + virtio-net,
# and Debian's usbredirect with its libraries. With `pyrus_mode=to` on the
# kernel command line the guest exports the gadget with
# `usbredirect --to 10.0.2.100:9000`, which QEMU forwards (guestfwd) to the
# test's listener on the host's loopback; with `pyrus_mode=as` it listens
# with `usbredirect --as 0.0.0.0:4000`, which QEMU's hostfwd exposes on
# the host's loopback for the test to connect to. With `pyrus_mode=local`
# the guest runs `pyrus-usb open` itself (PYRUS_BIN, copied in with its
# libraries) against the gadget through libusb, after the kernel's usbhid
# and snd-usb-audio drivers have bound to it, to exercise detaching and
# reattaching them, Ctrl-C, and hot-unplug.
#
# usage: build-initramfs.sh KERNEL_VERSION OUT.cpio.gz [PYRUS_BIN]
# needs: busybox-static, usbredirect, kmod, cpio (and the kernel's modules);
# udev for the re-plug part of local mode
set -eu
K="$1"
OUT="$2"
PYRUS_BIN="${3:-}"
ROOT=$(mktemp -d)
trap 'rm -rf "$ROOT"' EXIT

mkdir -p "$ROOT/bin" "$ROOT/proc" "$ROOT/sys" "$ROOT/dev" "$ROOT/tmp" "$ROOT/modules"
cp "$(command -v busybox)" "$ROOT/bin/busybox"

# Modules in dependency order, loaded with insmod by /init; the host-side
# class drivers (modules-host) only in local mode, minus what is loaded already.
deps() {
    for m in "$@"; do
        modprobe -S "$K" --show-depends "$m" | awk '$1 == "insmod" {print $2}'
    done | awk '!seen[$0]++'
}
mkdir -p "$ROOT/modules-host"
deps dummy_hcd libcomposite usb_f_midi usb_f_hid usbmon virtio_pci virtio_net > "$ROOT/tmp/base"
deps usbhid snd-usb-audio | grep -vxF -f "$ROOT/tmp/base" > "$ROOT/tmp/host" || true
n=0
while read -r f; do
    n=$((n + 1))
    cp "$f" "$ROOT/modules/$(printf %02d $n)-$(basename "$f")"
done < "$ROOT/tmp/base"
n=0
while read -r f; do
    n=$((n + 1))
    cp "$f" "$ROOT/modules-host/$(printf %02d $n)-$(basename "$f")"
done < "$ROOT/tmp/host"
rm "$ROOT/tmp/base" "$ROOT/tmp/host"

# A program and every library it links, at their own paths.
copy_with_libs() {
    mkdir -p "$ROOT$(dirname "$2")"
    cp "$1" "$ROOT$2"
    ldd "$1" | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }' | sort -u | while read -r lib; do
        mkdir -p "$ROOT$(dirname "$lib")"
        cp -L "$lib" "$ROOT$lib"
    done
}
U=$(command -v usbredirect)
copy_with_libs "$U" "$U"
if [ -n "$PYRUS_BIN" ]; then
    copy_with_libs "$PYRUS_BIN" /bin/pyrus-usb
    # libusb's hotplug listens to udevd's events: without udevd it sees
    # departures (failed I/O) but never arrivals.
    if [ -x /bin/udevadm ]; then
        copy_with_libs /bin/udevadm /bin/udevadm
        mkdir -p "$ROOT/lib/systemd"
        ln -s /bin/udevadm "$ROOT/lib/systemd/systemd-udevd"
    fi
fi

cat > "$ROOT/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin:/usr/bin
mount -t proc proc /proc
mount -t sysfs sys /sys

mount -t devtmpfs dev /dev
for m in /modules/*.ko; do insmod "$m" || echo "pyrus-e2e: insmod $m failed"; done
mount -t configfs none /sys/kernel/config
ip link set lo up
ip link set eth0 up
ip addr add 10.0.2.15/24 dev eth0
ip route add default via 10.0.2.2

# Hundredths of a second since boot.
now() {
    local up _
    read -r up _ < /proc/uptime
    # The 1 keeps a fraction such as 05 from reading as octal.
    echo $((${up%.*} * 100 + 1${up#*.} - 100))
}

# wait_for DESC TIMEOUT CMD...: runs CMD every 0.1 s until it succeeds, for
# at most TIMEOUT seconds; then says `timeout waiting for DESC` (which fails
# the test) and returns 1. Every step waits on what it needs, never on a
# fixed sleep: under TCG on a loaded host a step takes seconds.
wait_for() {
    local what=$1 limit=$(($2 * 100)) start t
    start=$(now)
    shift 2
    until "$@"; do
        t=$(($(now) - start))
        if [ $t -ge $limit ]; then
            echo "pyrus-e2e: timeout waiting for $what (after $((t / 100)) s)"
            return 1
        fi
        sleep 0.1
    done
    # How long it took, to see how much slack the timeouts leave.
    t=$(($(now) - start))
    echo "pyrus-e2e: waited $((t / 100)).$((t / 10 % 10)) s for $what"
}

# Whether the dummy_hcd host side has the gadget enumerated and configured.
gadget_configured() {
    for d in /sys/bus/usb/devices/*; do
        [ "$(cat "$d/idVendor" 2>/dev/null):$(cat "$d/idProduct" 2>/dev/null)" = 1d6b:0104 ] &&
            [ "$(cat "$d/bConfigurationValue" 2>/dev/null)" = 1 ] && return 0
    done
    return 1
}

G=/sys/kernel/config/usb_gadget/pyrus
mkdir -p $G/strings/0x409 $G/configs/c.1 $G/functions/midi.usb0 $G/functions/hid.usb0
echo 0x1d6b > $G/idVendor
echo 0x0104 > $G/idProduct
echo pyrus > $G/strings/0x409/manufacturer
echo "QEMU MIDI Gadget" > $G/strings/0x409/product
# HID: report id 1, buttons 1-4, 4 bits padding, X 0..255 (the virtual device's layout).
echo 0 > $G/functions/hid.usb0/protocol
echo 0 > $G/functions/hid.usb0/subclass
echo 3 > $G/functions/hid.usb0/report_length
printf '\005\001\011\004\241\001\205\001\005\011\031\001\051\004\025\000\045\001\165\001\225\004\201\002\165\004\225\001\201\001\005\001\011\060\025\000\046\377\000\165\010\225\001\201\002\300' > $G/functions/hid.usb0/report_desc
ln -s $G/functions/midi.usb0 $G/configs/c.1/
ln -s $G/functions/hid.usb0 $G/configs/c.1/
echo dummy_udc.0 > $G/UDC
wait_for "the gadget to enumerate" 60 gadget_configured
echo "pyrus-e2e: gadget up"
ls /dev/snd/ 2>&1

# What the engine sends us arrives on the gadget's rawmidi port.
( dd if=/dev/snd/midiC0D0 bs=1 count=3 2>/dev/null | hexdump -v -e '3/1 "%02x " "\n"' | sed 's/^/pyrus-e2e: from host: /'; echo x > /tmp/stop ) &

play() {
    # Note-ons (and a HID report) every 0.5 s until /tmp/stop or 20 s.
    i=0
    while [ $i -lt 40 ]; do
        # One phrase: note on, controller, a SysEx (identity request), note off.
        printf '\220\074\144\260\007\120\360\176\177\006\001\367\200\074\000' > /dev/snd/midiC0D0
        # A HID write blocks until the host polls the endpoint: never wait on it.
        timeout 1 sh -c "printf '\\001\\005\\310' > /dev/hidg0" 2>/dev/null &
        sleep 0.5
        i=$((i + 1))
        if grep -q . /tmp/stop 2>/dev/null; then break; fi
    done
    echo "pyrus-e2e: played $i"
}

bound() {
    # How many gadget interfaces the kernel's usbhid / snd-usb-audio hold.
    echo "$(ls /sys/bus/usb/drivers/usbhid 2>/dev/null | grep -c ':') $(ls /sys/bus/usb/drivers/snd-usb-audio 2>/dev/null | grep -c ':')"
}

# bound_like PATTERN: whether `bound` matches the shell pattern.
bound_like() {
    case "$(bound)" in
        $1) return 0 ;;
    esac
    return 1
}

# has FILE LINE...: whether FILE (a pyrus-usb output) has each LINE as a line.
has() {
    local f=$1 l
    shift
    for l in "$@"; do grep -qxF "$l" "$f" 2>/dev/null || return 1; done
}

# count_is FILE LINE N: whether FILE has LINE as a line at least N times.
count_is() {
    [ "$(grep -cxF "$2" "$1" 2>/dev/null)" -ge "$3" ]
}

# Whether `pyrus-usb list` shows the gadget by its name (its strings readable).
listed_by_name() {
    pyrus-usb list 2>/dev/null | grep -q '1d6b:0104 midi,hid pyrus QEMU MIDI Gadget$'
}

# Whether process $1 has ended (this shell reaps its children as it waits).
exited() {
    ! kill -0 "$1" 2>/dev/null
}

CONNECTED="connected 7531 260 pyrus QEMU MIDI Gadget"

if grep -q pyrus_mode=local /proc/cmdline; then
    if [ -x /lib/systemd/systemd-udevd ]; then
        mkdir -p /run/udev
        /lib/systemd/systemd-udevd --daemon 2>/dev/null
    fi
    for m in /modules-host/*.ko; do insmod "$m" || echo "pyrus-e2e: insmod $m failed"; done
    wait_for "usbhid and snd-usb-audio to bind" 60 bound_like "1 2"
    echo "pyrus-e2e: bound before: $(bound)"
    pyrus-usb list | sed 's/^/pyrus-e2e: list: /'
    pyrus-usb open 1d6b:0104 > /tmp/ev1 2>&1 &
    P=$!
    wait_for "ev1 connected" 30 has /tmp/ev1 "$CONNECTED"
    echo "pyrus-e2e: bound during: $(bound)"
    i=0
    while [ $i -lt 6 ]; do
        printf '\220\074\144' > /dev/snd/midiC0D0
        timeout 1 sh -c "printf '\\001\\005\\310' > /dev/hidg0" 2>/dev/null &
        sleep 0.5
        i=$((i + 1))
    done
    wait_for "ev1 to show the note and the HID report" 30 has /tmp/ev1 "note 1 60 100" "hid 1 48 200"
    kill -INT $P
    wait $P
    echo "pyrus-e2e: ctrl-c exit $?"
    # libusb reattaches usbhid as it releases: the device is ours to open again.
    wait_for "usbhid to bind again" 30 bound_like "1 *"
    echo "pyrus-e2e: bound after: $(bound)"
    sed 's/^/pyrus-e2e: ev1: /' /tmp/ev1
    # Hot-unplug while open: pyrus-usb reports it and exits by itself.
    wait_for "the gadget listed by name" 30 listed_by_name
    pyrus-usb open "QEMU MIDI" > /tmp/ev2 2>&1 &
    P=$!
    wait_for "ev2 connected" 30 has /tmp/ev2 "$CONNECTED"
    echo "" > $G/UDC
    if wait_for "pyrus-usb to exit after the unplug" 30 exited $P; then
        wait $P
        echo "pyrus-e2e: unplug exit $?"
    else
        kill -9 $P
    fi
    sed 's/^/pyrus-e2e: ev2: /' /tmp/ev2
    # Re-plug with --reconnect: disconnected, connected again, and data.
    echo dummy_udc.0 > $G/UDC
    wait_for "the gadget to enumerate again" 60 gadget_configured
    wait_for "the gadget listed by name again" 30 listed_by_name
    pyrus-usb open --reconnect 1d6b:0104 > /tmp/ev3 2>&1 &
    P=$!
    wait_for "ev3 connected" 30 has /tmp/ev3 "$CONNECTED"
    echo "" > $G/UDC
    wait_for "ev3 disconnected" 30 has /tmp/ev3 disconnected
    echo dummy_udc.0 > $G/UDC
    wait_for "ev3 connected again" 60 count_is /tmp/ev3 "$CONNECTED" 2
    i=0
    while [ $i -lt 4 ]; do
        printf '\220\076\144' > /dev/snd/midiC0D0
        sleep 0.5
        i=$((i + 1))
    done
    wait_for "ev3 to show the note" 30 has /tmp/ev3 "note 1 62 100"
    kill -INT $P
    wait $P
    echo "pyrus-e2e: reconnect exit $?"
    sed 's/^/pyrus-e2e: ev3: /' /tmp/ev3
else
    # Play only once the host streams MIDI in (usbmon sees the first bulk IN
    # request submitted): what f_midi queues before that, usbredirect's
    # claiming the device throws away, and the test expects every phrase
    # played. usbmon is opened here, before usbredirect starts.
    mount -t debugfs none /sys/kernel/debug
    exec 3< /sys/kernel/debug/usb/usbmon/0u
    ( grep -m1 -q ' S Bi:' <&3; echo yes > /tmp/streaming ) &
    exec 3<&-
    if grep -q pyrus_mode=as /proc/cmdline; then
        usbredirect --device 1d6b:0104 --as 0.0.0.0:4000 &
    else
        usbredirect --device 1d6b:0104 --to 10.0.2.100:9000 &
    fi
    R=$!
    j=0
    while [ ! -e /tmp/streaming ] && [ $j -lt 600 ]; do sleep 0.1; j=$((j + 1)); done
    echo "pyrus-e2e: host streaming: $(cat /tmp/streaming 2>/dev/null || echo never)"
    play
    kill $R 2>/dev/null
    wait_for "usbredirect to exit" 10 exited $R
fi
echo "pyrus-e2e: halt"
poweroff -f
INIT
chmod +x "$ROOT/init"
(cd "$ROOT" && find . | cpio -o -H newc --quiet | gzip -1) > "$OUT"
