// See include/sn_png.h. Every libpng call below runs under a setjmp established in the same
// function, so a libpng error longjmps back into C and never through Swift.
#include "sn_png.h"

#include <errno.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sn_png_reader {
    FILE *file;
    png_structp png;
    png_infop info;
    int hit_eof;                         // set by the read callback on a short read
    char message[SN_PNG_MESSAGE_CAPACITY];
    char warning[SN_PNG_MESSAGE_CAPACITY];  // the first warning, which often explains an error
};

/// Context for writing: libpng's error callback needs somewhere to put its message.
typedef struct sn_png_writer {
    FILE *file;
    int io_failed;
    char message[SN_PNG_MESSAGE_CAPACITY];
} sn_png_writer;

static void sn_copy_message(char *out, size_t capacity, const char *text) {
    if (out == NULL || capacity == 0) return;
    snprintf(out, capacity, "%s", text != NULL ? text : "");
    for (char *c = out; *c; c++) {
        if (*c == '\n' || *c == '\r') *c = ' ';
    }
}

static void sn_read_error(png_structp png, png_const_charp text) {
    struct sn_png_reader *reader = (struct sn_png_reader *)png_get_error_ptr(png);
    if (reader->warning[0] != '\0') {
        char combined[SN_PNG_MESSAGE_CAPACITY];
        snprintf(combined, sizeof combined, "%s: %s", text != NULL ? text : "", reader->warning);
        sn_copy_message(reader->message, sizeof reader->message, combined);
    } else {
        sn_copy_message(reader->message, sizeof reader->message, text);
    }
    png_longjmp(png, 1);
}

static void sn_read_warning(png_structp png, png_const_charp text) {
    struct sn_png_reader *reader = (struct sn_png_reader *)png_get_error_ptr(png);
    if (reader->warning[0] == '\0') sn_copy_message(reader->warning, sizeof reader->warning, text);
}

static void sn_ignore_warning(png_structp png, png_const_charp text) {
    (void)png; (void)text;
}

static void sn_read_data(png_structp png, png_bytep data, size_t length) {
    struct sn_png_reader *reader = (struct sn_png_reader *)png_get_io_ptr(png);
    size_t got = fread(data, 1, length, reader->file);
    if (got != length) {
        if (feof(reader->file)) {
            reader->hit_eof = 1;
            png_error(png, "unexpected end of file");
        }
        png_error(png, "read error");
    }
}

static sn_png_status sn_failure_status(const struct sn_png_reader *reader) {
    if (reader->hit_eof) return SN_PNG_TRUNCATED;
    if (strstr(reader->message, "out of memory") != NULL ||
        strstr(reader->message, "Out of memory") != NULL) return SN_PNG_NO_MEMORY;
    return SN_PNG_CORRUPT;
}

void sn_png_close(sn_png_reader *reader) {
    if (reader == NULL) return;
    if (reader->png != NULL) png_destroy_read_struct(&reader->png, &reader->info, NULL);
    if (reader->file != NULL) fclose(reader->file);
    free(reader);
}

sn_png_status sn_png_open(const char *path, int raw_indices, sn_png_reader **out,
                          sn_png_info *info, char *message, size_t message_capacity) {
    *out = NULL;
    memset(info, 0, sizeof *info);
    struct sn_png_reader *reader = calloc(1, sizeof *reader);
    if (reader == NULL) {
        sn_copy_message(message, message_capacity, "out of memory");
        return SN_PNG_NO_MEMORY;
    }
    reader->file = fopen(path, "rb");
    if (reader->file == NULL) {
        sn_copy_message(message, message_capacity, strerror(errno));
        free(reader);
        return SN_PNG_OPEN_FAILED;
    }
    unsigned char signature[8];
    size_t got = fread(signature, 1, sizeof signature, reader->file);
    if (got != sizeof signature || png_sig_cmp(signature, 0, sizeof signature) != 0) {
        sn_png_status status = SN_PNG_NOT_PNG;
        if (got < sizeof signature && got > 0 && png_sig_cmp(signature, 0, got) == 0) {
            status = SN_PNG_TRUNCATED;
            sn_copy_message(message, message_capacity, "unexpected end of file in the signature");
        } else {
            sn_copy_message(message, message_capacity, "no PNG signature");
        }
        sn_png_close(reader);
        return status;
    }
    reader->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, reader, sn_read_error,
                                         sn_read_warning);
    if (reader->png == NULL) {
        sn_copy_message(message, message_capacity, "out of memory");
        sn_png_close(reader);
        return SN_PNG_NO_MEMORY;
    }
    reader->info = png_create_info_struct(reader->png);
    if (reader->info == NULL) {
        sn_copy_message(message, message_capacity, "out of memory");
        sn_png_close(reader);
        return SN_PNG_NO_MEMORY;
    }
    if (setjmp(png_jmpbuf(reader->png))) {
        sn_png_status status = sn_failure_status(reader);
        sn_copy_message(message, message_capacity, reader->message);
        sn_png_close(reader);
        return status;
    }
    png_set_read_fn(reader->png, reader, sn_read_data);
    png_set_sig_bytes(reader->png, (int)sizeof signature);
    png_read_info(reader->png, reader->info);

    png_uint_32 width = 0, height = 0;
    int bit_depth = 0, color_type = 0, interlace = 0;
    png_get_IHDR(reader->png, reader->info, &width, &height, &bit_depth, &color_type, &interlace,
                 NULL, NULL);
    info->width = width;
    info->height = height;
    info->color_type = color_type;
    info->stored_bit_depth = bit_depth;

    if (raw_indices) {
        if (bit_depth < 8) png_set_packing(reader->png);  // one index / gray value per byte, unscaled
    } else {
        if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(reader->png);
        if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) {
            png_set_expand_gray_1_2_4_to_8(reader->png);
        }
    }
    if (bit_depth == 16) {
        const uint16_t probe = 1;
        if (*(const unsigned char *)&probe == 1) png_set_swap(reader->png);  // little-endian host
    }
    png_set_interlace_handling(reader->png);
    png_read_update_info(reader->png, reader->info);

    info->channels = png_get_channels(reader->png, reader->info);
    info->bit_depth = png_get_bit_depth(reader->png, reader->info);
    info->row_bytes = png_get_rowbytes(reader->png, reader->info);
    *out = reader;
    return SN_PNG_OK;
}

sn_png_status sn_png_read(sn_png_reader *reader, void *pixels, size_t row_stride,
                          char *message, size_t message_capacity) {
    png_uint_32 height = png_get_image_height(reader->png, reader->info);
    if (row_stride < png_get_rowbytes(reader->png, reader->info)) {
        sn_copy_message(message, message_capacity, "row stride smaller than a decoded row");
        return SN_PNG_INVALID_ARGUMENT;
    }
    png_bytep *rows = malloc((height > 0 ? height : 1) * sizeof(png_bytep));
    if (rows == NULL) {
        sn_copy_message(message, message_capacity, "out of memory");
        return SN_PNG_NO_MEMORY;
    }
    for (png_uint_32 y = 0; y < height; y++) rows[y] = (png_bytep)pixels + (size_t)y * row_stride;
    if (setjmp(png_jmpbuf(reader->png))) {
        free(rows);
        sn_copy_message(message, message_capacity, reader->message);
        return sn_failure_status(reader);
    }
    png_read_image(reader->png, rows);
    png_read_end(reader->png, NULL);
    free(rows);
    return SN_PNG_OK;
}

static void sn_write_error(png_structp png, png_const_charp text) {
    sn_png_writer *writer = (sn_png_writer *)png_get_error_ptr(png);
    sn_copy_message(writer->message, sizeof writer->message, text);
    png_longjmp(png, 1);
}

static void sn_write_data(png_structp png, png_bytep data, size_t length) {
    sn_png_writer *writer = (sn_png_writer *)png_get_io_ptr(png);
    if (fwrite(data, 1, length, writer->file) != length) {
        writer->io_failed = 1;
        png_error(png, strerror(errno));
    }
}

static void sn_flush_data(png_structp png) {
    sn_png_writer *writer = (sn_png_writer *)png_get_io_ptr(png);
    if (fflush(writer->file) != 0) {
        writer->io_failed = 1;
        png_error(png, strerror(errno));
    }
}

sn_png_status sn_png_write_gray(const char *path, uint32_t width, uint32_t height, int bit_depth,
                                const void *pixels, int compression_level, char *message,
                                size_t message_capacity) {
    if ((bit_depth != 8 && bit_depth != 16) || width == 0 || height == 0 ||
        width > PNG_UINT_31_MAX || height > PNG_UINT_31_MAX) {
        sn_copy_message(message, message_capacity, "invalid PNG size or bit depth");
        return SN_PNG_INVALID_ARGUMENT;
    }
    sn_png_writer writer;
    memset(&writer, 0, sizeof writer);
    writer.file = fopen(path, "wb");
    if (writer.file == NULL) {
        sn_copy_message(message, message_capacity, strerror(errno));
        return SN_PNG_OPEN_FAILED;
    }
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &writer, sn_write_error,
                                              sn_ignore_warning);
    png_infop info = png != NULL ? png_create_info_struct(png) : NULL;
    if (png == NULL || info == NULL) {
        if (png != NULL) png_destroy_write_struct(&png, NULL);
        fclose(writer.file);
        sn_copy_message(message, message_capacity, "out of memory");
        return SN_PNG_NO_MEMORY;
    }
    size_t row_bytes = (size_t)width * (size_t)(bit_depth / 8);
    png_bytep *rows = malloc((size_t)height * sizeof(png_bytep));
    if (rows == NULL) {
        png_destroy_write_struct(&png, &info);
        fclose(writer.file);
        sn_copy_message(message, message_capacity, "out of memory");
        return SN_PNG_NO_MEMORY;
    }
    for (uint32_t y = 0; y < height; y++) {
        rows[y] = (png_bytep)pixels + (size_t)y * row_bytes;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        free(rows);
        fclose(writer.file);
        sn_copy_message(message, message_capacity, writer.message);
        return writer.io_failed ? SN_PNG_WRITE_FAILED : SN_PNG_CORRUPT;
    }
    png_set_write_fn(png, &writer, sn_write_data, sn_flush_data);
    png_set_IHDR(png, info, width, height, bit_depth, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (compression_level >= 0 && compression_level <= 9) {
        png_set_compression_level(png, compression_level);
    }
    png_write_info(png, info);
    if (bit_depth == 16) {
        const uint16_t probe = 1;
        if (*(const unsigned char *)&probe == 1) png_set_swap(png);  // PNG is big-endian
    }
    png_write_image(png, rows);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    free(rows);
    if (fclose(writer.file) != 0) {
        sn_copy_message(message, message_capacity, strerror(errno));
        return SN_PNG_WRITE_FAILED;
    }
    return SN_PNG_OK;
}
