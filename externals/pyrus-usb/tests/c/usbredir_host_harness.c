/* Test-only usbredir *host* built on the reference C parser
 * (libusbredirparser), to prove pyrus-usb's guest is wire compatible.
 *
 * usage: usbredir_host_harness PORT full|bare DEVICE_HEX CONFIG_HEX
 *                              HID_REPORT_DESC_HEX MIDI_HEX HID_INPUT_HEX
 *
 * Connects to 127.0.0.1:PORT, announces a device built from the given
 * descriptors, answers GET_DESCRIPTOR, sends MIDI_HEX on bulk IN (buffered
 * bulk or in reply to a bulk request, whichever the guest chose) and
 * HID_INPUT_HEX on interrupt IN, waits for one bulk OUT transfer, then
 * unplugs the device. Prints what it saw, one fact per line, on stdout.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <usbredirparser.h>

static int sock = -1;
static int done;
static int sent_midi;
static struct usbredirparser *parser;
static uint8_t *blobs[5];
static int blob_len[5];
enum { DEV, CFG, HIDREP, MIDI, HIDIN };

static int unhex(const char *s, uint8_t **out)
{
    int n = (int)strlen(s) / 2;
    *out = malloc(n ? n : 1);
    for (int i = 0; i < n; i++) {
        unsigned v;
        if (sscanf(s + 2 * i, "%2x", &v) != 1) { fprintf(stderr, "bad hex\n"); exit(2); }
        (*out)[i] = (uint8_t)v;
    }
    return n;
}

static void log_cb(void *priv, int level, const char *msg)
{
    (void)priv;
    fprintf(stderr, "harness[%d]: %s\n", level, msg);
    if (level <= usbredirparser_error) printf("parser_error %s\n", msg);
}

static int read_cb(void *priv, uint8_t *data, int count)
{
    (void)priv;
    ssize_t r = recv(sock, data, count, 0);
    if (r == 0) { done = 1; return -1; }
    if (r < 0) return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
    return (int)r;
}

static int write_cb(void *priv, uint8_t *data, int count)
{
    (void)priv;
    ssize_t r = send(sock, data, count, MSG_NOSIGNAL);
    if (r < 0) return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
    return (int)r;
}

static void hello_cb(void *priv, struct usb_redir_hello_header *h)
{
    (void)priv;
    printf("guest_version %s\n", h->version);
    printf("ids64 %d\n", usbredirparser_have_cap(parser, usb_redir_cap_64bits_ids) &&
                          usbredirparser_peer_has_cap(parser, usb_redir_cap_64bits_ids));
    struct usb_redir_interface_info_header ii = {0};
    ii.interface_count = 3;
    ii.interface[0] = 0; ii.interface_class[0] = 1; ii.interface_subclass[0] = 1;
    ii.interface[1] = 1; ii.interface_class[1] = 1; ii.interface_subclass[1] = 3;
    ii.interface[2] = 2; ii.interface_class[2] = 3;
    usbredirparser_send_interface_info(parser, &ii);
    struct usb_redir_ep_info_header ep;
    memset(&ep, 0, sizeof ep);
    memset(ep.type, usb_redir_type_invalid, sizeof ep.type);
    ep.type[0] = ep.type[16] = usb_redir_type_control;
    ep.type[16 | 1] = usb_redir_type_bulk; ep.interface[16 | 1] = 1; ep.max_packet_size[16 | 1] = 64;
    ep.type[1] = usb_redir_type_bulk; ep.interface[1] = 1; ep.max_packet_size[1] = 64;
    ep.type[16 | 2] = usb_redir_type_interrupt; ep.interface[16 | 2] = 2; ep.interval[16 | 2] = 10;
    ep.max_packet_size[16 | 2] = 8;
    usbredirparser_send_ep_info(parser, &ep);
    struct usb_redir_device_connect_header dc = {
        .speed = usb_redir_speed_full, .vendor_id = 0x1209, .product_id = 0x7079,
        .device_version_bcd = 0x0100,
    };
    usbredirparser_send_device_connect(parser, &dc);
}

static int string_desc(const char *s, uint8_t *out)
{
    int n = 2;
    for (; *s && n < 254; s++) { out[n++] = (uint8_t)*s; out[n++] = 0; }
    out[0] = (uint8_t)n; out[1] = 3;
    return n;
}

static void control_cb(void *priv, uint64_t id, struct usb_redir_control_packet_header *c,
                       uint8_t *data, int data_len)
{
    (void)priv; (void)data_len;
    uint8_t buf[256];
    const uint8_t *reply = NULL;
    int len = 0;
    int dtype = c->value >> 8, index = c->value & 0xff;
    printf("control_id %llu\n", (unsigned long long)id);
    if (c->request == 6 && c->requesttype == 0x80) {
        if (dtype == 1) { reply = blobs[DEV]; len = blob_len[DEV]; }
        else if (dtype == 2) { reply = blobs[CFG]; len = blob_len[CFG]; }
        else if (dtype == 3 && index == 0) { buf[0] = 4; buf[1] = 3; buf[2] = 0x09; buf[3] = 0x04; reply = buf; len = 4; }
        else if (dtype == 3 && index == 1) { len = string_desc("pyrus", buf); reply = buf; }
        else if (dtype == 3 && index == 2) { len = string_desc("C Harness", buf); reply = buf; }
    } else if (c->request == 6 && c->requesttype == 0x81 && dtype == 0x22) {
        reply = blobs[HIDREP]; len = blob_len[HIDREP];
    }
    if (reply) {
        if (len > c->length) len = c->length;
        c->status = usb_redir_success;
        c->length = (uint16_t)len;
    } else {
        c->status = usb_redir_stall;
        c->length = 0;
        len = 0;
    }
    usbredirparser_send_control_packet(parser, id, c, (uint8_t *)reply, len);
    if (data) usbredirparser_free_packet_data(parser, data);
}

static void start_interrupt_cb(void *priv, uint64_t id, struct usb_redir_start_interrupt_receiving_header *s)
{
    (void)priv;
    struct usb_redir_interrupt_receiving_status_header st = { .status = usb_redir_success, .endpoint = s->endpoint };
    usbredirparser_send_interrupt_receiving_status(parser, id, &st);
    struct usb_redir_interrupt_packet_header ip = { .endpoint = s->endpoint, .status = usb_redir_success,
                                                    .length = (uint16_t)blob_len[HIDIN] };
    usbredirparser_send_interrupt_packet(parser, 0, &ip, blobs[HIDIN], blob_len[HIDIN]);
    printf("interrupt_started %#x\n", s->endpoint);
}

static void start_bulk_cb(void *priv, uint64_t id, struct usb_redir_start_bulk_receiving_header *s)
{
    (void)priv;
    struct usb_redir_bulk_receiving_status_header st = { .stream_id = s->stream_id, .endpoint = s->endpoint,
                                                         .status = usb_redir_success };
    usbredirparser_send_bulk_receiving_status(parser, id, &st);
    struct usb_redir_buffered_bulk_packet_header bb = { .stream_id = 0, .length = (uint32_t)blob_len[MIDI],
                                                        .endpoint = s->endpoint, .status = usb_redir_success };
    usbredirparser_send_buffered_bulk_packet(parser, 0, &bb, blobs[MIDI], blob_len[MIDI]);
    printf("bulk_receiving_started %#x %u\n", s->endpoint, s->bytes_per_transfer);
}

static void bulk_cb(void *priv, uint64_t id, struct usb_redir_bulk_packet_header *b, uint8_t *data, int data_len)
{
    (void)priv;
    if (b->endpoint & 0x80) {
        /* A bulk IN request: the first one carries the MIDI, later ones stay pending. */
        if (!sent_midi) {
            sent_midi = 1;
            b->status = usb_redir_success;
            b->length = (uint16_t)blob_len[MIDI];
            b->length_high = 0;
            usbredirparser_send_bulk_packet(parser, id, b, blobs[MIDI], blob_len[MIDI]);
            printf("bulk_request_answered %#x\n", b->endpoint);
        }
    } else {
        printf("out");
        for (int i = 0; i < data_len; i++) printf(" %02x", data[i]);
        printf("\n");
        b->status = usb_redir_success;
        usbredirparser_send_bulk_packet(parser, id, b, NULL, 0);
        usbredirparser_send_device_disconnect(parser);
        /* An ack comes only when both sides announced the cap. */
        if (!(usbredirparser_have_cap(parser, usb_redir_cap_device_disconnect_ack) &&
              usbredirparser_peer_has_cap(parser, usb_redir_cap_device_disconnect_ack)))
            done = 1;
    }
    if (data) usbredirparser_free_packet_data(parser, data);
}

static void disconnect_ack_cb(void *priv)
{
    (void)priv;
    printf("ack\n");
    done = 1;
}

int main(int argc, char **argv)
{
    if (argc != 8) { fprintf(stderr, "usage: see source\n"); return 2; }
    for (int i = 0; i < 5; i++) blob_len[i] = unhex(argv[3 + i], &blobs[i]);
    int full = strcmp(argv[2], "full") == 0;

    sock = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1])) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(sock, (struct sockaddr *)&a, sizeof a) != 0) { perror("connect"); return 2; }
    fcntl(sock, F_SETFL, O_NONBLOCK);

    parser = usbredirparser_create();
    parser->log_func = log_cb;
    parser->read_func = read_cb;
    parser->write_func = write_cb;
    parser->hello_func = hello_cb;
    parser->control_packet_func = control_cb;
    parser->start_interrupt_receiving_func = start_interrupt_cb;
    parser->start_bulk_receiving_func = start_bulk_cb;
    parser->bulk_packet_func = bulk_cb;
    parser->device_disconnect_ack_func = disconnect_ack_cb;
    uint32_t caps[USB_REDIR_CAPS_SIZE] = {0};
    if (full) {
        usbredirparser_caps_set_cap(caps, usb_redir_cap_connect_device_version);
        usbredirparser_caps_set_cap(caps, usb_redir_cap_device_disconnect_ack);
        usbredirparser_caps_set_cap(caps, usb_redir_cap_ep_info_max_packet_size);
        usbredirparser_caps_set_cap(caps, usb_redir_cap_64bits_ids);
        usbredirparser_caps_set_cap(caps, usb_redir_cap_32bits_bulk_length);
        usbredirparser_caps_set_cap(caps, usb_redir_cap_bulk_receiving);
    }
    usbredirparser_init(parser, "pyrus-c-harness", caps, USB_REDIR_CAPS_SIZE, usbredirparser_fl_usb_host);

    time_t start = time(NULL);
    while (!(done && !usbredirparser_has_data_to_write(parser))) {
        if (time(NULL) - start > 10) { printf("timeout\n"); return 3; }
        struct pollfd p = { .fd = sock, .events = POLLIN };
        if (usbredirparser_has_data_to_write(parser)) p.events |= POLLOUT;
        if (poll(&p, 1, 100) < 0) break;
        if (p.revents & (POLLIN | POLLHUP)) {
            int r = usbredirparser_do_read(parser);
            if (r != 0 && !done) { printf("read_error %d\n", r); return 4; }
        }
        if (usbredirparser_has_data_to_write(parser) && usbredirparser_do_write(parser) < 0) {
            printf("write_error\n");
            return 4;
        }
        fflush(stdout);
    }
    printf("done\n");
    usbredirparser_destroy(parser);
    close(sock);
    return 0;
}
