// CRC-32C (Castagnoli), as TFRecord and Fleet's write-ahead log use it; the SSE4.2 crc32
// instruction where the CPU has it, else a table.
#pragma once

#include <cstdint>
#include <span>

namespace fleet {

uint32_t Crc32c(std::span<const uint8_t> data);
// continues a CRC over more data: Crc32c(a + b) == Crc32cExtend(Crc32c(a), b).
uint32_t Crc32cExtend(uint32_t crc, std::span<const uint8_t> data);

}  // namespace fleet
