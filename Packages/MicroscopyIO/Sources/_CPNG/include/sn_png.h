#ifndef SALIENCYNET_SN_PNG_H
#define SALIENCYNET_SN_PNG_H
// A small C shim around libpng for MicroscopyIO.
//
// libpng reports errors by longjmp, which must never unwind through Swift frames. Every libpng
// call happens inside these functions, each guarded by its own setjmp; failures come back to Swift
// as an `sn_png_status` code plus a one-line message.
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Size of the message buffers passed to these functions.
#define SN_PNG_MESSAGE_CAPACITY 512

typedef enum sn_png_status {
    SN_PNG_OK = 0,
    SN_PNG_OPEN_FAILED = 1,   // fopen failed; the message holds strerror(errno)
    SN_PNG_NOT_PNG = 2,       // the file does not start with the PNG signature
    SN_PNG_TRUNCATED = 3,     // the file ended before the image data did
    SN_PNG_CORRUPT = 4,       // libpng rejected the data (bad CRC, bad header, zlib error, ...)
    SN_PNG_NO_MEMORY = 5,
    SN_PNG_WRITE_FAILED = 6,  // I/O error while writing
    SN_PNG_INVALID_ARGUMENT = 7,
} sn_png_status;

/// Header facts of an opened PNG, after the read transforms have been set up.
typedef struct sn_png_info {
    uint32_t width;
    uint32_t height;
    int color_type;          // PNG colour type as stored: 0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA
    int stored_bit_depth;    // 1, 2, 4, 8 or 16 as stored
    int channels;            // of the decoded rows: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA
    int bit_depth;           // of the decoded rows: 8 or 16 (16-bit samples in host byte order)
    size_t row_bytes;        // of one decoded row
} sn_png_info;

typedef struct sn_png_reader sn_png_reader;

/// Opens `path` and reads the PNG header. Decoding transforms when `raw_indices` is 0: palette
/// images are expanded to RGB, gray images of 1, 2 or 4 bits are scaled to 8 bits (e.g. 1-bit 1
/// becomes 255). When `raw_indices` is 1: palette indices and low-bit gray values are unpacked to
/// one byte each without scaling or palette lookup (for label images). Always: tRNS transparency
/// is ignored (no alpha channel is added), no gamma correction is applied, 16-bit samples come out
/// in host byte order. On success `*reader` must be released with `sn_png_close`.
sn_png_status sn_png_open(const char *path, int raw_indices, sn_png_reader **reader,
                          sn_png_info *info, char *message, size_t message_capacity);

/// Decodes the whole image into `pixels` (height rows of `row_stride >= info.row_bytes` bytes).
sn_png_status sn_png_read(sn_png_reader *reader, void *pixels, size_t row_stride,
                          char *message, size_t message_capacity);

/// Releases the reader and closes the file.
void sn_png_close(sn_png_reader *reader);

/// Writes a gray PNG: `bit_depth` 8 (pixels are uint8) or 16 (pixels are host-order uint16),
/// rows of `width` samples, row-major, no padding. `compression_level` is zlib's 0...9.
sn_png_status sn_png_write_gray(const char *path, uint32_t width, uint32_t height, int bit_depth,
                                const void *pixels, int compression_level, char *message,
                                size_t message_capacity);

#ifdef __cplusplus
}
#endif
#endif
