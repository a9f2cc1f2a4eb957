fn main() {
    posey_desktop::run()
}
