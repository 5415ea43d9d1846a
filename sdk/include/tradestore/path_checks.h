// Checks a plugin's check_settings (and the kernel) run on the files a config names, so that a
// path the daemon cannot use is a config error naming the setting instead of a failed start.
// Each returns "" when the path is usable, else the problem in a few words with the path.
#pragma once

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <system_error>

namespace tradestore {

// The file can be opened for reading by this process.
inline std::string file_read_problem(const std::filesystem::path& path) {
    std::error_code error;
    const auto status = std::filesystem::status(path, error);
    if (error) return "cannot read " + path.string() + ": " + error.message();
    if (std::filesystem::is_directory(status)) return path.string() + " is a folder, not a file";
    errno = 0;
    std::ifstream file(path, std::ios::binary);
    if (!file) {
        const int reason = errno != 0 ? errno : EACCES;
        return "cannot read " + path.string() + ": " + std::strerror(reason);
    }
    return "";
}

// A file can be written at `path`: the file itself when it exists (opened without truncating),
// else a probe file created and removed in the nearest existing folder above it (the folders
// in between are the kind a plugin creates). Permission bits alone would not do: they mislead
// for root, read-only mounts and ACLs.
inline std::string file_write_problem(const std::filesystem::path& path) {
    std::error_code error;
    const auto status = std::filesystem::status(path, error);
    if (std::filesystem::is_directory(status)) return path.string() + " is a folder, not a file";
    if (std::filesystem::exists(status)) {
        errno = 0;
        std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
        if (!file) {
            const int reason = errno != 0 ? errno : EACCES;
            return "cannot write " + path.string() + ": " + std::strerror(reason);
        }
        return "";
    }
    std::filesystem::path folder = std::filesystem::absolute(path, error).parent_path();
    while (!std::filesystem::exists(folder, error) && folder.has_relative_path())
        folder = folder.parent_path();
    if (!std::filesystem::is_directory(folder, error)) {
        return "cannot create " + path.string() + ": " + folder.string() + " is not a folder";
    }
    std::random_device random;
    const auto probe = folder / (".tradestore-write-probe-" + std::to_string(random()));
    errno = 0;
    std::ofstream file(probe, std::ios::binary);
    if (!file) {
        const int reason = errno != 0 ? errno : EACCES;
        return "cannot create " + path.string() + ": folder " + folder.string() +
               " is not writable: " + std::strerror(reason);
    }
    file.close();
    std::filesystem::remove(probe, error);
    return "";
}

}  // namespace tradestore
